export {
  compose,
  POLICY_ORDER,
  type PolicyContext,
  type PolicyKind,
  type ToolHandler,
  type ToolPolicy,
  type ToolResult,
} from "@mcp-prod/internal";
export {
  type Breaker,
  type BreakerEvents,
  type BreakerHealth,
  type BreakerOptions,
  type BreakerSnapshot,
  type BreakerState,
  type BreakerStats,
  createBreaker,
  type ExecuteOptions,
} from "./breaker.ts";
export type { BreakerCall } from "./call.ts";
export {
  BreakerError,
  type BreakerErrorCode,
  BreakerOpenError,
  BreakerReentrantError,
  BreakerShutdownError,
  BreakerTimeoutError,
  ToolResultError,
} from "./errors.ts";
export {
  type BreakerGroup,
  type BreakerGroupEvents,
  type BreakerGroupOptions,
  createBreakerGroup,
} from "./group.ts";
export { withBreaker, withTimeout } from "./policy.ts";
export {
  BREAKER_META_KEY,
  type ToolBreakerOptions,
  type WithBreakerOptions,
} from "./with-breaker.ts";
export type { WithTimeoutOptions } from "./with-timeout.ts";
