export {
  compose,
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
} from "@mcp-prod/internal";
export { ToolTimeoutError } from "./errors.ts";
export type { WithTimeoutOptions } from "./options.ts";
export { TIMEOUT_META_KEY, type TimeoutMeta, withTimeout } from "./with-timeout.ts";
