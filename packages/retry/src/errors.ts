import { defineError, describeError, McpProdError } from "@mcp-prod/internal";

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

function plural(attempts: number): string {
  return attempts === 1 ? "1 attempt" : `${attempts} attempts`;
}
