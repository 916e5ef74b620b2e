import { defineError, McpProdError, type ToolResult } from "@mcp-prod/internal";

/** Why a {@link RetryError} was raised; match on these, never on messages. */
export type RetryErrorCode = "ERETRYEXHAUSTED" | "ERETRYBUDGET";

/**
 * The retries ran out. `code` says how:
 * - `"ERETRYEXHAUSTED"`: every one of `attempts` tries failed with an error
 *   worth retrying;
 * - `"ERETRYBUDGET"`: the shared retry budget refused the next retry (the
 *   upstream is failing for many callers at once).
 *
 * `errors` holds each attempt's error in the order the attempts ran; `cause`
 * is the last one.
 *
 * @example
 * ```ts
 * import { RetryError, retry } from "@mcp-prod/retry";
 *
 * try {
 *   await retry(({ signal }) => fetch(url, { signal }), { attempts: 3 });
 * } catch (error) {
 *   if (RetryError.isInstance(error)) console.log(error.code, error.errors.length);
 * }
 * ```
 */
export class RetryError extends McpProdError<RetryErrorCode> {
  override readonly name = "RetryError";
  /** Every attempt's error, in the order the attempts ran. */
  readonly errors: readonly unknown[];
  /** How many attempts ran. */
  readonly attempts: number;

  constructor(code: RetryErrorCode, errors: readonly unknown[]) {
    const last = errors[errors.length - 1];
    const attempts = errors.length;
    super(
      code,
      code === "ERETRYBUDGET"
        ? `Retry budget exhausted after ${plural(attempts)}; the last failed with: ${describeError(last)}`
        : `All ${plural(attempts)} failed; the last with: ${describeError(last)}`,
      { cause: last },
    );
    this.errors = errors;
    this.attempts = attempts;
  }

  static {
    defineError(RetryError, "retry", "RetryError", "RetryError");
  }
}

/**
 * A wrapped tool handler returned an `isError: true` result. With
 * `retryErrorResults: true`, `withRetry` hands such a result to `retryOn` as
 * this error (the result in `result`).
 *
 * @example
 * ```ts
 * import { ToolResultError, withRetry } from "@mcp-prod/retry";
 *
 * withRetry(handler, {
 *   idempotent: true,
 *   retryErrorResults: true,
 *   retryOn: (error) => ToolResultError.isInstance(error) && error.result._meta?.busy === true,
 * });
 * ```
 */
export class ToolResultError extends McpProdError<"ETOOLRESULT"> {
  override readonly name = "ToolResultError";
  /** The `isError` result the handler returned. */
  readonly result: ToolResult;
  /**
   * The wait the result asks for, read from a `retryAfterMs` in its `_meta`
   * (an open breaker's or a rate limit's mark), so `retry` honours it.
   */
  readonly retryAfterMs: number | undefined;

  constructor(result: ToolResult) {
    super("ETOOLRESULT", "Tool returned an error result");
    this.result = result;
    this.retryAfterMs = retryAfterInMeta(result._meta);
  }

  static {
    defineError(ToolResultError, "retry", "ToolResultError", "ToolResultError");
  }
}

function retryAfterInMeta(meta: Record<string, unknown> | undefined): number | undefined {
  if (meta === undefined) return undefined;
  for (const value of Object.values(meta)) {
    const asked = (value as { retryAfterMs?: unknown } | null)?.retryAfterMs;
    if (typeof asked === "number" && Number.isFinite(asked) && asked >= 0) return asked;
  }
  return undefined;
}

function plural(attempts: number): string {
  return attempts === 1 ? "1 attempt" : `${attempts} attempts`;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
