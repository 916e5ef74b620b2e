export {
  compose,
  type Jitter,
  type PolicyContext,
  type ToolPolicy,
  ToolResultError,
} from "@mcp-prod/internal";
export {
  createRetryBudget,
  type RetryBudget,
  type RetryBudgetOptions,
  type RetryBudgetStats,
} from "./budget.ts";
export { RetryError, type RetryErrorCode } from "./errors.ts";
export { type RetryContext, type RetryInfo, type RetryOptions, retry } from "./retry.ts";
export { isRetryable } from "./transient.ts";
export { RETRY_META_KEY, type RetryMeta, type WithRetryOptions, withRetry } from "./with-retry.ts";
