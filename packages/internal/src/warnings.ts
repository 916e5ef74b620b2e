import { describeError } from "./redact.ts";

const warned = new Set<string>();

/**
 * Surfaces what a user's callback threw (a listener, a hook, a reporter) as
 * a process warning named `type` (the thrown value is its `cause`), so that it never breaks the call that invoked
 * the callback nor crashes the process.
 *
 * @example
 * ```ts
 * try {
 *   onFallback(error, info);
 * } catch (hookError) {
 *   warnCallbackFailure(hookError, "McpProdHookWarning");
 * }
 * ```
 */
export function warnCallbackFailure(error: unknown, type: string): void {
  // Node ignores `type` when handed an Error, so the warning is a new Error
  // named `type`, with what the callback threw as its cause.
  const warning = new Error(describeError(error), { cause: error });
  warning.name = type;
  process.emitWarning(warning);
}

/**
 * Emits a process warning (`type: "McpProdWarning"`) the first time `code` is
 * seen in this process and never again: misuse that repeats per request
 * (a limiter built per request) must not flood the log. No `console.*` in
 * library code; `node --no-warnings` or a `process.on("warning")` listener
 * decides what the user sees.
 */
export function warnOnce(code: string, message: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  process.emitWarning(message, { type: "McpProdWarning", code });
}

/**
 * Where the caller of the function that calls this was called from, as
 * `file:line:column`, or `undefined` when the stack does not say: the way to
 * tell "the same line ran twice" (a per-request factory) from two call sites.
 */
export function callSite(depth = 2): string | undefined {
  const previousLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = depth + 2;
  const stack = new Error().stack;
  Error.stackTraceLimit = previousLimit;
  const line = stack?.split("\n")[depth + 1];
  return line?.trim().replace(/^at (?:.* \()?(.*?)\)?$/, "$1");
}
