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
export { RATE_LIMIT_META_KEY, type RateLimitMeta, withRateLimit } from "./with-rate-limit.ts";
