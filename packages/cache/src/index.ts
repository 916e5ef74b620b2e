export {
  compose,
  POLICY_ORDER,
  type PolicyContext,
  type PolicyKind,
  type ToolHandler,
  type ToolPolicy,
  type ToolResult,
} from "@mcp-prod/internal";
export { createCache } from "./cache.ts";
export { cachedFetch } from "./cached-fetch.ts";
export {
  CacheClosedError,
  CacheError,
  type CacheErrorCode,
  CacheSerializationError,
  CacheTimeoutError,
} from "./errors.ts";
export { withCache } from "./policy.ts";
export type { RedisClientLike } from "./redis-client.ts";
export { jsonSerializer, type Serializer } from "./serializer.ts";
export type {
  Cache,
  CacheEvents,
  CacheFactory,
  CacheHealth,
  CacheOperation,
  CacheOptions,
  CacheResult,
  CacheSource,
  CacheStats,
  FactoryContext,
  GetOrSetOptions,
  SetOptions,
} from "./types.ts";
export {
  CACHE_META_KEY,
  type CacheResultMeta,
  type WithCacheOptions,
} from "./with-cache.ts";
