import { assertOptions, definePolicy, type ToolHandler, type ToolPolicy } from "@mcp-prod/internal";
import {
  type OutputSchema,
  type ToolFallback,
  type WithFallbackOptions,
  wrapWithFallback,
} from "./with-fallback.ts";

/**
 * Options of `withFallback`'s policy form: the fallback (a handler, a fixed
 * result or a list of them) and the options of the handler form.
 */
export type FallbackPolicyOptions<
  H extends ToolHandler = ToolHandler,
  Schema extends OutputSchema | undefined = undefined,
> = WithFallbackOptions<Schema> & {
  /** What answers when the handler fails: a handler of the same parameters, a fixed result, or a list tried in turn. */
  readonly fallback: ToolFallback<H, Schema> | ReadonlyArray<ToolFallback<H, Schema>>;
};

/**
 * Wraps a tool handler so that when it throws, times out or returns an
 * `isError` result, a fallback answers instead: another handler called with
 * the same parameters, a fixed result, or a list of them tried in turn. The
 * fallback's result carries `_meta["mcp-prod/fallback"]` (see
 * `FallbackMeta`) so clients and metrics can tell it is degraded.
 *
 * Returns a handler of the same type, for both SDK generations and both
 * arities. A client's cancellation (`extra.signal`, or `ctx.mcpReq.signal`
 * in 2.x) is never answered by a fallback. With `timeoutMs`, the handler gets
 * a signal that is also aborted at the deadline. When every fallback fails
 * too, the call throws a `FallbackError`, which the SDK turns into an
 * `isError` result.
 *
 * @example
 * ```ts
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * import { withFallback } from "@mcp-prod/fallback";
 * import { z } from "zod";
 *
 * const server = new McpServer({ name: "weather", version: "1.0.0" });
 * server.registerTool(
 *   "forecast",
 *   { inputSchema: { city: z.string() } },
 *   withFallback(
 *     async ({ city }, { signal }) => ({ content: [{ type: "text", text: await liveForecast(city, signal) }] }),
 *     { content: [{ type: "text", text: "Forecast temporarily unavailable" }] },
 *     { timeoutMs: 3000 },
 *   ),
 * );
 * ```
 */
export function withFallback<H extends ToolHandler>(
  handler: H,
  fallback: NoInfer<ToolFallback<H> | ReadonlyArray<ToolFallback<H>>>,
  options?: WithFallbackOptions<undefined>,
): H;
export function withFallback<H extends ToolHandler, Schema extends OutputSchema>(
  handler: H,
  fallback: NoInfer<ToolFallback<H, Schema> | ReadonlyArray<ToolFallback<H, Schema>>>,
  options: WithFallbackOptions<Schema> & { readonly outputSchema: Schema },
): H;
/**
 * The fallback as a policy for `compose(name, handler, ...policies)`, with
 * options: `{ fallback, timeoutMs, when, outputSchema, … }` (recognised by its
 * `fallback` key). A fallback handler's parameters are typed from the handler
 * it ends up wrapping. Its place in the order is inside telemetry and the rate
 * limit, outside retry and the breaker, so it answers for their refusals too.
 *
 * @example
 * ```ts
 * import { compose, withFallback } from "@mcp-prod/fallback";
 *
 * server.registerTool(
 *   "forecast",
 *   { inputSchema: { city: z.string() } },
 *   compose(
 *     "forecast",
 *     forecastHandler,
 *     withFallback({ fallback: async ({ city }) => lastKnownForecast(city), timeoutMs: 3000 }),
 *   ),
 * );
 * ```
 */
export function withFallback<
  H extends ToolHandler = ToolHandler,
  Schema extends OutputSchema | undefined = undefined,
>(options: FallbackPolicyOptions<H, Schema>): ToolPolicy<H>;
/**
 * The fallback as a policy for `compose(name, handler, ...policies)`, given
 * the fallback alone: a handler of the same parameters, a fixed result or a
 * list of them.
 *
 * @example
 * ```ts
 * import { compose, withFallback } from "@mcp-prod/fallback";
 *
 * server.registerTool(
 *   "forecast",
 *   { inputSchema: { city: z.string() } },
 *   compose("forecast", forecastHandler, withFallback({ content: [{ type: "text", text: "Forecast unavailable" }] })),
 * );
 * ```
 */
export function withFallback<H extends ToolHandler = ToolHandler>(
  // Without `fallback?: never`, options whose `fallback` fails the first form would pass as a fixed result.
  fallback: (ToolFallback<H> | ReadonlyArray<ToolFallback<H>>) & { readonly fallback?: never },
): ToolPolicy<H>;
export function withFallback(...params: unknown[]): unknown {
  if (params.length > 1) {
    const [handler, fallback, options] = params as [ToolHandler, ToolFallback<ToolHandler>, never];
    return wrapWithFallback(handler, fallback, options);
  }
  const [given] = params;
  if (given === undefined)
    throw new TypeError(
      "Expected a fallback (a handler, a result or a list of them) or `{ fallback, …options }`, got undefined",
    );
  let fallback = given as ToolFallback<ToolHandler>;
  let options: WithFallbackOptions | undefined;
  if (isPolicyOptions(given)) {
    assertOptions(given);
    const { fallback: listed, ...rest } = given;
    fallback = listed as ToolFallback<ToolHandler>;
    options = rest;
  }
  return definePolicy("fallback", (handler: ToolHandler) =>
    wrapWithFallback(handler, fallback, options as never),
  );
}

function isPolicyOptions(value: unknown): value is FallbackPolicyOptions {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.hasOwn(value, "fallback")
  );
}
