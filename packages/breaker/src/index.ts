export {
  compose,
  POLICY_ORDER,
  type PolicyContext,
  type PolicyKind,
  type ToolHandler,
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
export type { BreakerOptions, BreakerSnapshot, BreakerState } from "./options.ts";
export { withBreaker, withTimeout } from "./policy.ts";
export type {
  Breaker,
  BreakerEvents,
  BreakerHealth,
  BreakerStats,
  ExecuteOptions,
  SharedBreaker,
} from "./types.ts";
export {
  BREAKER_META_KEY,
  type ToolBreakerOptions,
  type WithBreakerOptions,
} from "./with-breaker.ts";
export type { WithTimeoutOptions } from "./with-timeout.ts";
