import { isToolResult } from "@mcp-prod/internal";
import { isDegraded } from "./outcomes.ts";

/**
 * How a tool call ended: `error` covers a thrown error and an `isError` result
 * alike, except refusals: `limited` for a result a rate limiter produced
 * (`_meta["mcp-prod/ratelimit"]`), `rejected` for one an open breaker or a full
 * bulkhead produced (`_meta["mcp-prod/breaker"].open`,
 * `_meta["mcp-prod/bulkhead"].rejected`), so an abusive client does not inflate
 * error rates; `degraded` is a result a fallback served
 * (`_meta["mcp-prod/fallback"].degraded`); `replayed` a duplicate answered
 * with a stored result (`_meta["mcp-prod/idempotency"].replayed`), so a
 * retried call is not counted as a second effect.
 *
 * @example
 * ```ts
 * // mcp_tool_calls_total{tool="search_users",status="cancelled"}
 * const statuses: ToolCallStatus[] = ["success", "error", "cancelled", "limited", "rejected"];
 * ```
 */
export type ToolCallStatus =
  | "success"
  | "degraded"
  | "replayed"
  | "error"
  | "cancelled"
  | "limited"
  | "rejected";

/** The message of the `tool_called` log line, by status. */
export const STATUS_MESSAGES: Record<ToolCallStatus, string> = {
  success: "Tool execution completed",
  degraded: "Tool execution degraded: a fallback answered",
  replayed: "Tool call answered with the stored result of its first call",
  error: "Tool execution failed",
  cancelled: "Tool execution cancelled",
  limited: "Tool call refused by a rate limit",
  rejected: "Tool call refused by an open circuit breaker or a full bulkhead",
};

/** A result's status, from the `_meta` keys mcp-prod's wrappers mark their answers with. */
export function statusOf(result: unknown): ToolCallStatus {
  if (!isToolResult(result)) return "success";
  if (isReplayed(result)) return "replayed";
  if (result.isError !== true) return isDegraded(result) ? "degraded" : "success";
  const meta = (result as { _meta?: Record<string, unknown> })._meta;
  if ((meta?.["mcp-prod/ratelimit"] as { limited?: unknown } | undefined)?.limited === true)
    return "limited";
  if (
    (meta?.["mcp-prod/breaker"] as { open?: unknown } | undefined)?.open === true ||
    (meta?.["mcp-prod/bulkhead"] as { rejected?: unknown } | undefined)?.rejected === true
  )
    return "rejected";
  return "error";
}

/** Whether `@mcp-prod/idempotency` answered with a stored result (`_meta["mcp-prod/idempotency"].replayed`). */
function isReplayed(result: { _meta?: unknown }): boolean {
  const meta = result._meta as Record<string, unknown> | undefined;
  return (meta?.["mcp-prod/idempotency"] as { replayed?: unknown } | undefined)?.replayed === true;
}
