import { defineError, McpProdError } from "./errors.ts";
import { redactSecrets } from "./redact.ts";
import type { ToolResult } from "./tool-handler.ts";

/**
 * A tool answered with an `isError: true` result. MCP tools report failure in
 * the result rather than by throwing, so the wrappers that act on failure
 * classify such a result as this error: the breaker counts it (its `failure`
 * event carries it), the fallback falls back on it and retry hands it to
 * `retryOn`. One class for all of them, so `ToolResultError.isInstance(error)`
 * from any mcp-prod package recognises it whichever package raised it.
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
  /** The `isError` result the tool returned (for a breaker's `fire`, the value its `isFailure` refused). */
  readonly result: ToolResult;
  /**
   * The wait the result asks for, read from a `retryAfterMs` in its `_meta`
   * (an open breaker's or a rate limit's mark), so retry honours it.
   */
  readonly retryAfterMs: number | undefined;

  constructor(result: ToolResult) {
    super(
      "ETOOLRESULT",
      `Tool returned an error result: ${redactSecrets(firstText(result) ?? "(no text content)")}`,
    );
    this.result = result;
    this.retryAfterMs = retryAfterInMeta(result);
  }

  static {
    // Breaker, fallback and retry each declared a class of this name before;
    // their markers are carried, so older copies and this one agree.
    defineError(ToolResultError, ["tool", "breaker", "fallback", "retry"], "ToolResultError", [
      "ToolResultError",
      "breaker.ToolResultError",
      "fallback.ToolResultError",
    ]);
  }
}

/**
 * Whether `value` is a tool result with `isError: true`: the one test of a
 * failed result, for the wrappers that classify results.
 */
export function isErrorResult(value: unknown): value is ToolResult & { readonly isError: true } {
  return typeof value === "object" && value !== null && (value as ToolResult).isError === true;
}

function firstText(result: ToolResult): string | undefined {
  const content = typeof result === "object" && result !== null ? result.content : undefined;
  if (!Array.isArray(content)) return undefined;
  for (const block of content) {
    if (typeof block === "object" && block !== null) {
      const { type, text } = block as { type?: unknown; text?: unknown };
      if (type === "text" && typeof text === "string") return text;
    }
  }
  return undefined;
}

function retryAfterInMeta(result: ToolResult): number | undefined {
  const meta = typeof result === "object" && result !== null ? result._meta : undefined;
  if (typeof meta !== "object" || meta === null) return undefined;
  for (const value of Object.values(meta)) {
    const asked = (value as { retryAfterMs?: unknown } | null)?.retryAfterMs;
    if (typeof asked === "number" && Number.isFinite(asked) && asked >= 0) return asked;
  }
  return undefined;
}
