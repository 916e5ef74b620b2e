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
  RateLimitClosedError,
  RateLimitError,
  RateLimitExceededError,
  RateLimitStoreError,
} from "./errors.ts";
export {
  type RateLimitResponseBody,
  rateLimitHeaders,
  rateLimitResponse,
  writeRateLimitResponse,
} from "./http.ts";
export {
  type ConsumeOptions,
  createRateLimiter,
  type RateLimiter,
  type RateLimiterEvents,
  type RateLimitResult,
  type RateLimitStore,
} from "./limiter.ts";
export type { NodeMiddlewareOptions, NodeRateLimitMiddleware } from "./node-middleware.ts";
export type {
  RateLimitExtra,
  RateLimiterOptions,
  RateLimitPolicyOptions,
  RedisClientLike,
  ToolRateLimitOptions,
  WithRateLimitOptions,
} from "./options.ts";
export { rateLimiterRegistry } from "./registry.ts";
export { RATE_LIMIT_META_KEY, type RateLimitMeta, withRateLimit } from "./with-rate-limit.ts";
