import { createCache } from "./cache.ts";
import type { RedisClientLike } from "./redis-client.ts";
import type { Cache } from "./types.ts";

const caches = new WeakMap<RedisClientLike, Cache>();

/**
 * `cachedFetch(redis, key, fetch, ttlSeconds)`: the classic read-through
 * helper over a Redis client, done right: concurrent misses make one `fetch`
 * call per key (one per key across processes too, through a Redis lock), an
 * in-process tier answers repeats without a round trip, and Redis being down or slow falls back to
 * `fetch` instead of failing the call. Keys are used as given, without a
 * prefix. One cache per client is created on first use; it opens no extra
 * connection and holds no timers.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { cachedFetch } from "@mcp-prod/cache";
 *
 * const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
 * const user = await cachedFetch(redis, "user:42", () => fetchUser(42), 300);
 * ```
 */
export function cachedFetch<T>(
  redis: RedisClientLike,
  key: string,
  fetch: (context: { readonly signal: AbortSignal }) => Promise<T>,
  ttlSeconds = 300,
  options?: { readonly signal?: AbortSignal },
): Promise<T> {
  let cache = caches.get(redis);
  if (cache === undefined) {
    cache = createCache({ redis, prefix: "", invalidation: false, name: "cachedFetch" });
    caches.set(redis, cache);
  }
  return cache.getOrSet(key, fetch, {
    ttlSeconds,
    ...(options?.signal === undefined ? {} : { signal: options.signal }),
  });
}
