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
export { createCache } from "./cache.ts";
export { cachedFetch } from "./cached-fetch.ts";
export {
  CacheClosedError,
  CacheError,
  type CacheErrorCode,
  CacheSerializationError,
  CacheTimeoutError,
} from "./errors.ts";
export type { CacheOptions, GetOrSetOptions, SetOptions, WithCacheOptions } from "./options.ts";
export type { RedisClientLike } from "./redis-client.ts";
export { jsonSerializer, type Serializer } from "./serializer.ts";
export type {
  Cache,
  CacheEvents,
  CacheFactory,
  CacheHealth,
  CacheOperation,
  CacheResult,
  CacheSource,
  CacheStats,
  FactoryContext,
} from "./types.ts";
export { CACHE_META_KEY, type CacheResultMeta, withCache } from "./with-cache.ts";
