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
  ToolResultError,
} from "@mcp-prod/internal";
export { createBreaker } from "./breaker.ts";
export type { BreakerCall } from "./call.ts";
export {
  BreakerError,
  type BreakerErrorCode,
  BreakerOpenError,
  BreakerReentrantError,
  BreakerShutdownError,
  BreakerTimeoutError,
} from "./errors.ts";
export {
  type BreakerGroup,
  type BreakerGroupEvents,
  type BreakerGroupOptions,
  createBreakerGroup,
} from "./group.ts";
export type { BreakerOptions, ToolBreakerOptions, WithBreakerOptions } from "./options.ts";
export { breakerRegistry } from "./registry.ts";
export type {
  Breaker,
  BreakerEvents,
  BreakerHealth,
  BreakerSnapshot,
  BreakerState,
  BreakerStats,
  ExecuteOptions,
  SharedBreaker,
} from "./types.ts";
export { BREAKER_META_KEY, withBreaker } from "./with-breaker.ts";
