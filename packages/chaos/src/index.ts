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
export {
  Chaos,
  type ChaosEvents,
  type ChaosFaultKind,
  type ChaosStats,
  createChaos,
} from "./chaos.ts";
export { type ChaosFault, ChaosFaultError, ChaosProductionError } from "./errors.ts";
export type {
  AbortFault,
  ChaosOptions,
  ErrorFault,
  ErrorResultFault,
  LatencyFault,
} from "./options.ts";
export { CHAOS_META_KEY, withChaos } from "./with-chaos.ts";
