import {
  abortReason,
  assertFunction,
  asToolHandler,
  callToolHandler,
  defineWrapper,
  readToolCall,
  type ToolHandler,
  type ToolPolicy,
  textResult,
  withLazyDeadline,
  withResultMeta,
  withToolSignal,
} from "@mcp-prod/internal";
import { ToolTimeoutError } from "./errors.ts";
import { readTimeoutOptions, type WithTimeoutOptions } from "./options.ts";

/** The `_meta` key under which a timed-out result is marked: `{ timedOut: true, timeoutMs }`. */
export const TIMEOUT_META_KEY = "mcp-prod/timeout";

/** The value `withTimeout` puts under {@link TIMEOUT_META_KEY} in the result of a tool that timed out. */
export type TimeoutMeta = { readonly timedOut: true; readonly timeoutMs: number };

/**
 * The handler form of {@link withTimeout}: wraps `handler` under a deadline of
 * `timeout` milliseconds (or `{ timeoutMs, message, name }`).
 */
export function wrapWithTimeout<H extends ToolHandler>(
  handler: H,
  timeout: number | WithTimeoutOptions,
  toolName?: string,
): H {
  assertFunction(handler, "handler");
  const {
    timeoutMs,
    message,
    name = toolName ?? (handler.name || "tool"),
  } = readTimeoutOptions(timeout);
  const meta: TimeoutMeta = { timedOut: true, timeoutMs };

  const wrapped = (...params: unknown[]): Promise<unknown> => {
    const { signal } = readToolCall(params);
    let timedOut: ToolTimeoutError | undefined;
    // The handler's signal is its own, made when it reads it: aborted with a
    // ToolTimeoutError at the deadline, or with the client's reason on cancel.
    return withLazyDeadline(
      (own) => callToolHandler(handler, withToolSignal(params, own)),
      timeoutMs,
      {
        signal,
        // The deadline itself answers the call: it holds the process open until then.
        unref: false,
        onTimeout: () => {
          timedOut = new ToolTimeoutError(name, timeoutMs);
          return timedOut;
        },
      },
    ).then(
      (result) => {
        // A handler that never read its signal ran to the end: the client gave up meanwhile.
        if (signal?.aborted) throw abortReason(signal);
        return result;
      },
      (error: unknown) => {
        if (timedOut === undefined || error !== timedOut) throw error;
        return withResultMeta(textResult(message, true), TIMEOUT_META_KEY, meta);
      },
    );
  };
  return asToolHandler<H>(wrapped);
}

const dispatch = defineWrapper({
  kind: "timeout",
  wrap: wrapWithTimeout,
  policy: (timeout: number | WithTimeoutOptions) => {
    // Checked now, so a wrong deadline fails where the policy is written.
    readTimeoutOptions(timeout);
    return (handler, { name }) => wrapWithTimeout(handler, timeout, name);
  },
});

/**
 * A server-side deadline for one tool (the SDK enforces none, and a client
 * that drops its connection is not always noticed). When `timeoutMs` passes,
 * the handler's signal is aborted with a {@link ToolTimeoutError} and the
 * client gets an `isError` result saying the tool timed out, marked
 * `_meta["mcp-prod/timeout"] = { timedOut: true, timeoutMs }`. A client's
 * cancellation still aborts the handler and propagates. Returns a handler of
 * the same type, for both SDK generations.
 *
 * @example
 * ```ts
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * import { withTimeout } from "@mcp-prod/timeout";
 * import { z } from "zod";
 *
 * const server = new McpServer({ name: "reports", version: "1.0.0" });
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
 * `ToolTimeoutError` naming the tool. Its place in the order is inside the
 * breaker and the bulkhead (a timed-out call counts as a breaker failure, and
 * the clock starts once a slot is held) and outside the cache.
 *
 * @example
 * ```ts
 * import { compose, withTimeout } from "@mcp-prod/timeout";
 *
 * server.registerTool("report", config, compose("report", reportHandler, withTimeout(20_000)));
 * ```
 */
export function withTimeout<H extends ToolHandler = ToolHandler>(
  timeout: number | WithTimeoutOptions,
): ToolPolicy<H>;
export function withTimeout(...params: unknown[]): unknown {
  return dispatch(params);
}
