import { defineError, McpProdError } from "@mcp-prod/internal";

/**
 * The reason a timed-out tool's signal is aborted with: the handler ran
 * longer than its `timeoutMs`. The client gets an `isError` result instead
 * (see `withTimeout`); the handler sees this error as `signal.reason`.
 *
 * @example
 * ```ts
 * import { ToolTimeoutError } from "@mcp-prod/timeout";
 *
 * const rows = await db.query(sql, { signal }).catch((error) => {
 *   if (ToolTimeoutError.isInstance(signal.reason)) metrics.slowReports.inc();
 *   throw error;
 * });
 * ```
 */
export class ToolTimeoutError extends McpProdError<"ETOOLTIMEOUT"> {
  override readonly name = "ToolTimeoutError";
  /** The tool that timed out, as named by `name` or `compose`. */
  readonly tool: string;
  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(tool: string, timeoutMs: number) {
    super("ETOOLTIMEOUT", `Tool "${tool}" timed out after ${timeoutMs}ms`);
    this.tool = tool;
    this.timeoutMs = timeoutMs;
  }

  static {
    defineError(ToolTimeoutError, "timeout", "ToolTimeoutError");
  }
}
