import type { Cluster, Redis } from "ioredis";
import { describe, expectTypeOf, it } from "vitest";
import {
  type Cache,
  type CacheResult,
  type CacheStats,
  cachedFetch,
  createCache,
  type RedisClientLike,
  withCache,
} from "./index.ts";

describe("types", () => {
  it("takes any ioredis client through a structural type (no ioredis import in the published types)", () => {
    expectTypeOf<Redis>().toExtend<RedisClientLike>();
    expectTypeOf<Cluster>().toExtend<RedisClientLike>();
    expectTypeOf<NonNullable<Parameters<typeof createCache>[0]>["redis"]>().toEqualTypeOf<
      RedisClientLike | undefined
    >();
    expectTypeOf<Parameters<typeof cachedFetch>[0]>().toEqualTypeOf<RedisClientLike>();
  });

  it("infers the value type from the factory", () => {
    const cache = createCache();
    expectTypeOf(cache.getOrSet("k", async () => ({ id: 1 }))).toEqualTypeOf<
      Promise<{ id: number }>
    >();
    expectTypeOf(cache.getOrSetEntry("k", () => "text")).toEqualTypeOf<
      Promise<CacheResult<string>>
    >();
    expectTypeOf(cache.get<number>("k")).toEqualTypeOf<Promise<number | undefined>>();
  });

  it("keeps the stats() and event shapes telemetry observes", () => {
    const cache: Cache = createCache();
    expectTypeOf(cache.name).toEqualTypeOf<string>();
    expectTypeOf(cache.stats()).toEqualTypeOf<CacheStats>();
    expectTypeOf<CacheStats["hits"]>().toEqualTypeOf<{
      readonly l1: number;
      readonly l2: number;
    }>();
    cache.on("hit", (event) => {
      expectTypeOf(event).toEqualTypeOf<{ readonly key: string; readonly tier: "l1" | "l2" }>();
    });
    cache.on("stale", (event) => {
      expectTypeOf(event).toEqualTypeOf<{ readonly key: string }>();
    });
    // @ts-expect-error: not an event of the cache
    cache.on("open", () => {});
  });

  it("returns a handler of the same type from withCache", () => {
    const cache = createCache();
    const handler = async (args: { city: string }, _extra: { signal: AbortSignal }) => ({
      content: [{ type: "text" as const, text: args.city }],
    });
    expectTypeOf(withCache(handler, { cache, key: () => "k" })).toEqualTypeOf<typeof handler>();
    // @ts-expect-error: the key function is required
    withCache(handler, { cache });
  });

  it("accepts a zero-argument fetch in cachedFetch", () => {
    const fetchUser = async () => ({ name: "Ada" });
    expectTypeOf(cachedFetch).parameter(2).toBeFunction();
    type Client = Parameters<typeof cachedFetch>[0];
    const run = (redis: Client) => cachedFetch(redis, "user:1", fetchUser, 300);
    expectTypeOf(run).returns.toEqualTypeOf<Promise<{ name: string }>>();
  });
});
