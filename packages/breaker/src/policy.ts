import {
  assertOptions,
  assertPositiveNumber,
  definePolicy,
  type ToolHandler,
  type ToolPolicy,
} from "@mcp-prod/internal";
import { type WithBreakerOptions, withBreaker as wrapInBreaker } from "./with-breaker.ts";
import { type WithTimeoutOptions, withTimeout as wrapInTimeout } from "./with-timeout.ts";

/**
 * Wraps an MCP tool handler in a circuit breaker and returns a handler of the
 * same type. While the circuit is open the tool answers
 * `{ content: [{ type: "text", text: "Service temporarily unavailable" }], isError: true }`
 * at once, marked `_meta["mcp-prod/breaker"] = { open: true, retryAfterMs }`;
 * other errors keep their normal path. The handler's signal is the call's own:
 * aborted by the breaker's `timeout` or the client's cancellation. Wrap once,
 * outside any per-request server factory, so the state is shared.
 *
 * @example
 * ```ts
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * import { withBreaker } from "@mcp-prod/breaker";
 * import { z } from "zod";
 *
 * const server = new McpServer({ name: "weather", version: "1.0.0" });
 * server.registerTool(
 *   "forecast",
 *   { inputSchema: { city: z.string() } },
 *   withBreaker(async ({ city }, { signal }) => {
 *     const response = await fetch(`https://api.example.com/${city}`, { signal });
 *     return { content: [{ type: "text", text: await response.text() }] };
 *   }, { name: "forecast", timeout: 5000, errorThresholdPercentage: 50, resetTimeout: 30000 }),
 * );
 * ```
 */
export function withBreaker<H extends ToolHandler>(handler: H, options?: WithBreakerOptions): H;
/**
 * The breaker as a policy for `compose(name, handler, ...policies)`: the
 * breaker is created when the policy is applied, named after the tool unless
 * `name` (or a shared `breaker`) is given. Its place in the order is after
 * fallback and retry, before bulkhead, timeout and cache.
 *
 * @example
 * ```ts
 * import { compose, withBreaker, withTimeout } from "@mcp-prod/breaker";
 *
 * server.registerTool(
 *   "forecast",
 *   { inputSchema: { city: z.string() } },
 *   compose("forecast", forecastHandler, withBreaker({ consecutiveFailures: 5 }), withTimeout(10_000)),
 * );
 * ```
 */
export function withBreaker<H extends ToolHandler = ToolHandler>(
  options?: WithBreakerOptions,
): ToolPolicy<H>;
export function withBreaker(...params: unknown[]): unknown {
  if (typeof params[0] === "function" || params.length > 1)
    return wrapInBreaker(params[0] as ToolHandler, params[1] as WithBreakerOptions);
  const options = params[0] as WithBreakerOptions | undefined;
  assertOptions(options);
  const named = options?.breaker === undefined && options?.name === undefined;
  return definePolicy("breaker", (handler: ToolHandler, { name }) =>
    wrapInBreaker(handler, named ? ({ ...options, name } as WithBreakerOptions) : options),
  );
}

/**
 * A server-side deadline for one tool (the SDK enforces none, and a client
 * that drops its connection is not always noticed). When `timeoutMs` passes
 * the handler's signal is aborted with a `BreakerTimeoutError` and the client
 * gets an `isError` result saying the tool timed out, marked
 * `_meta["mcp-prod/breaker"] = { timedOut: true, timeoutMs }`. A client's
 * cancellation still aborts the handler and propagates. All calls of one
 * wrapped tool share one timer.
 *
 * @example
 * ```ts
 * import { withTimeout } from "@mcp-prod/breaker";
 *
 * server.registerTool(
 *   "report",
 *   { inputSchema: { month: z.string() } },
 *   withTimeout(async ({ month }, { signal }) => buildReport(month, signal), 20_000),
 * );
 * ```
 */
export function withTimeout<H extends ToolHandler>(
  handler: H,
  timeout: number | WithTimeoutOptions,
): H;
/**
 * The deadline as a policy for `compose(name, handler, ...policies)`, its
 * `BreakerTimeoutError` naming the tool. Its place in the order is inside
 * the breaker (a timed-out call counts as a failure) and outside the cache.
 *
 * @example
 * ```ts
 * import { compose, withTimeout } from "@mcp-prod/breaker";
 *
 * server.registerTool("report", config, compose("report", reportHandler, withTimeout(20_000)));
 * ```
 */
export function withTimeout<H extends ToolHandler = ToolHandler>(
  timeout: number | WithTimeoutOptions,
): ToolPolicy<H>;
export function withTimeout(...params: unknown[]): unknown {
  if (typeof params[0] === "function" || params.length > 1)
    return wrapInTimeout(params[0] as ToolHandler, params[1] as number | WithTimeoutOptions);
  const timeout = params[0] as number | WithTimeoutOptions;
  if (typeof timeout === "number") assertPositiveNumber(timeout, "timeout");
  else assertOptions(timeout, "timeout");
  const options = typeof timeout === "number" ? { timeoutMs: timeout } : timeout;
  return definePolicy("timeout", (handler: ToolHandler, { name }) =>
    wrapInTimeout(handler, options?.name === undefined ? { ...options, name } : options),
  );
}
