export {
  compose,
  type Jitter,
  POLICY_ORDER,
  type PolicyContext,
  type PolicyKind,
  type ToolCallResult,
  type ToolContextV2,
  type ToolExtraV1,
  type ToolHandler,
  type ToolHandlerV1,
  type ToolHandlerV2,
  type ToolPolicy,
  type ToolResult,
  ToolResultError,
} from "@mcp-prod/internal";
export { createRetryBudget, type RetryBudget, type RetryBudgetStats } from "./budget.ts";
export { RetryError, type RetryErrorCode } from "./errors.ts";
export type { RetryBudgetOptions, RetryInfo, RetryOptions, WithRetryOptions } from "./options.ts";
export { type RetryContext, retry } from "./retry.ts";
export { isRetryable } from "./transient.ts";
export { RETRY_META_KEY, type RetryMeta, withRetry } from "./with-retry.ts";
