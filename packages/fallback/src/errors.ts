import { defineError, McpProdError, redactSecrets, type ToolResult } from "@mcp-prod/internal";

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

/**
 * A wrapped tool handler returned an `isError: true` result. MCP tools report
 * failure in the result rather than by throwing, so `withFallback` turns such
 * a result into this error (kept in `result`) and falls back, unless
 * `fallbackOnErrorResult` is `false`.
 *
 * @example
 * ```ts
 * import { ToolResultError, withFallback } from "@mcp-prod/fallback";
 *
 * const tool = withFallback(handler, cachedHandler, {
 *   // fall back on thrown errors and timeouts, not on the tool's own "not found" answer
 *   when: (error) => !ToolResultError.isInstance(error),
 * });
 * ```
 */
export class ToolResultError extends McpProdError<"ETOOLRESULT"> {
  override readonly name = "ToolResultError";
  /** The `isError` result the handler returned. */
  readonly result: ToolResult;

  constructor(result: ToolResult) {
    super(
      "ETOOLRESULT",
      `Tool returned an error result: ${redactSecrets(firstText(result) ?? "(no text content)")}`,
    );
    this.result = result;
  }

  static {
    defineError(ToolResultError, "fallback", "ToolResultError", "fallback.ToolResultError");
  }
}

function describeError(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}

function firstText(result: ToolResult): string | undefined {
  for (const block of result.content ?? []) {
    if (typeof block === "object" && block !== null) {
      const { type, text } = block as { type?: unknown; text?: unknown };
      if (type === "text" && typeof text === "string") return text;
    }
  }
  return undefined;
}
