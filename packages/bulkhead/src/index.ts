export { compose, type PolicyContext, type ToolPolicy } from "@mcp-prod/internal";
export {
  Bulkhead,
  type BulkheadContext,
  type BulkheadEvents,
  type BulkheadOptions,
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
export {
  BULKHEAD_BUSY_MESSAGE,
  BULKHEAD_META_KEY,
  type BulkheadMeta,
  type WithBulkheadOptions,
  withBulkhead,
} from "./with-bulkhead.ts";
