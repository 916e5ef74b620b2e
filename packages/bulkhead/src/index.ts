export {
  compose,
  POLICY_ORDER,
  type PolicyContext,
  type PolicyKind,
  type PolicyRegistry,
  type ToolCallResult,
  type ToolContextV2,
  type ToolExtraV1,
  type ToolHandler,
  type ToolHandlerV1,
  type ToolHandlerV2,
  type ToolPolicy,
  type ToolResult,
} from "@mcp-prod/internal";
export {
  Bulkhead,
  type BulkheadContext,
  type BulkheadEvents,
  type BulkheadStats,
  createBulkhead,
  type ExecuteOptions,
} from "./bulkhead.ts";
export {
  BulkheadError,
  type BulkheadErrorCode,
  BulkheadQueueTimeoutError,
  BulkheadRejectedError,
} from "./errors.ts";
export type { BulkheadOptions, WithBulkheadOptions } from "./options.ts";
export { bulkheadRegistry } from "./registry.ts";
export {
  BULKHEAD_BUSY_MESSAGE,
  BULKHEAD_META_KEY,
  type BulkheadMeta,
  withBulkhead,
} from "./with-bulkhead.ts";
