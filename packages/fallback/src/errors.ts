import { defineError, describeError, McpProdError } from "@mcp-prod/internal";

/**
 * Every attempt failed: the primary and each fallback after it. `errors`
 * holds every cause in the order the attempts ran; `cause` is the last one.
 *
 * @example
 * ```ts
 * import { FallbackError, fallbackChain } from "@mcp-prod/fallback";
 *
 * try {
 *   await fallbackChain([() => fromApi(), () => fromReplica()]);
 * } catch (error) {
 *   if (FallbackError.isInstance(error)) console.log(error.errors.length); // 2
 * }
 * ```
 */
export class FallbackError extends McpProdError<"EFALLBACK"> {
  override readonly name = "FallbackError";
  /** Every attempt's error, in the order the attempts ran. */
  readonly errors: readonly unknown[];

  constructor(errors: readonly unknown[]) {
    const last = errors[errors.length - 1];
    super(
      "EFALLBACK",
      `All ${errors.length} attempts failed; the last with: ${describeError(last)}`,
      {
        cause: last,
      },
    );
    this.errors = errors;
  }

  static {
    defineError(FallbackError, "fallback", "FallbackError", "FallbackError");
  }
}

/**
 * An attempt that has a fallback after it ran longer than `timeoutMs`: its
 * signal is aborted with this error and the next attempt starts.
 *
 * @example
 * ```ts
 * import { FallbackTimeoutError, fetchWithFallback } from "@mcp-prod/fallback";
 *
 * await fetchWithFallback(primary, fallback, {
 *   timeoutMs: 2000,
 *   onFallback: (error) => {
 *     if (FallbackTimeoutError.isInstance(error)) slowPrimaryCounter.inc();
 *   },
 * });
 * ```
 */
export class FallbackTimeoutError extends McpProdError<"EFALLBACKTIMEOUT"> {
  override readonly name = "FallbackTimeoutError";
  /** The deadline that passed. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super("EFALLBACKTIMEOUT", `Attempt timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }

  static {
    defineError(FallbackTimeoutError, "fallback", "FallbackTimeoutError", "FallbackTimeoutError");
  }
}
