export { compose, type PolicyContext, type ToolPolicy } from "@mcp-prod/internal";
export type { Jitter } from "./backoff.ts";
export {
  createRetryBudget,
  type RetryBudget,
  type RetryBudgetOptions,
  type RetryBudgetStats,
} from "./budget.ts";
export { RetryError, type RetryErrorCode, ToolResultError } from "./errors.ts";
export { type RetryContext, type RetryInfo, type RetryOptions, retry } from "./retry.ts";
export { isRetryable } from "./transient.ts";
export { RETRY_META_KEY, type RetryMeta, type WithRetryOptions, withRetry } from "./with-retry.ts";
