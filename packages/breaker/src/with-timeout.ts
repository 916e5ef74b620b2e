import {
  abortReason,
  assertFunction,
  assertKnownKeys,
  assertOptions,
  assertPositiveNumber,
  assertString,
  asToolHandler,
  callToolHandler,
  DeadlineQueue,
  describeValue,
  readToolCall,
  type ToolHandler,
  textResult,
  withResultMeta,
  withToolSignal,
} from "@mcp-prod/internal";
import { Call } from "./call.ts";
import { BreakerTimeoutError } from "./errors.ts";
import { BREAKER_META_KEY } from "./with-breaker.ts";

/** Options of {@link withTimeout}. */
export type WithTimeoutOptions = {
  /** The tool's server-side deadline in milliseconds. */
  readonly timeoutMs: number;
  /**
   * Text of the `isError` result returned when the deadline passes.
   * @default "Tool timed out after <timeoutMs>ms"
   */
  readonly message?: string;
  /**
   * The tool's name, carried by the `BreakerTimeoutError` that aborts the handler.
   * @default the handler's function name, or "tool"
   */
  readonly name?: string;
};

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
): H {
  assertFunction(handler, "handler");
  if (timeout === undefined || timeout === null)
    throw new TypeError(
      `Expected \`timeout\` to be milliseconds or \`{ timeoutMs }\`, got ${describeValue(timeout)}: withTimeout(handler, 5000)`,
    );
  const options = typeof timeout === "number" ? { timeoutMs: timeout } : timeout;
  assertOptions(options, "timeout");
  assertKnownKeys(options, ["timeoutMs", "message", "name"], "withTimeout()");
  const { timeoutMs, message = `Tool timed out after ${timeoutMs}ms` } = options;
  assertPositiveNumber(timeoutMs, typeof timeout === "number" ? "timeout" : "timeoutMs");
  assertString(message, "message");
  const name = options.name ?? (handler.name || "tool");
  assertString(name, "name");
  const timedOut = (): unknown =>
    withResultMeta(textResult(message, true), BREAKER_META_KEY, { timedOut: true, timeoutMs });
  const deadlines = new DeadlineQueue<Call>((call) =>
    settle(call, () => {
      call.abort(new BreakerTimeoutError(name, timeoutMs));
      call.resolve(timedOut());
    }),
  );
  // Runs `outcome` for the first of a call's endings only.
  const settle = (call: Call, outcome: () => void): void => {
    if (call.settled) return;
    call.settled = true;
    deadlines.remove(call);
    call.removeAbortListener();
    outcome();
  };
  // The client gave up: the handler is stopped and the cancellation propagates.
  const cancel = (call: Call) =>
    settle(call, () => {
      const reason = abortReason(call.callerSignal as AbortSignal);
      call.abort(reason);
      call.reject(reason);
    });

  const wrapped = (...params: unknown[]): Promise<unknown> => {
    const { signal } = readToolCall(params);
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const call = new Call(undefined, signal, undefined, true, cancel);
    return new Promise((resolve, reject) => {
      call.resolve = resolve as (value: unknown) => void;
      call.reject = reject;
      deadlines.add(call, timeoutMs);
      new Promise<unknown>((run) =>
        run(callToolHandler(handler, withToolSignal(params, call))),
      ).then(
        (result) => (signal?.aborted ? cancel(call) : settle(call, () => resolve(result))),
        (error: unknown) => (signal?.aborted ? cancel(call) : settle(call, () => reject(error))),
      );
    });
  };
  return asToolHandler<H>(wrapped);
}
