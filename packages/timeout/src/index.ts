export {
  compose,
  POLICY_ORDER,
  type PolicyContext,
  type PolicyKind,
  type ToolHandler,
  type ToolPolicy,
  type ToolResult,
} from "@mcp-prod/internal";
export { ToolTimeoutError } from "./errors.ts";
export type { WithTimeoutOptions } from "./options.ts";
export { TIMEOUT_META_KEY, type TimeoutMeta, withTimeout } from "./with-timeout.ts";
