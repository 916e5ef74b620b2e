import { randomUUID } from "node:crypto";
import { deferred, redisUrl, waitFor } from "@mcp-prod/testkit";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { type Cache, type CacheOptions, createCache } from "./index.ts";

let raw: Redis;

beforeAll(() => {
  raw = new Redis(redisUrl());
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  raw.disconnect();
});

function uniquePrefix(): string {
  return `test:cache:${randomUUID()}:`;
}

/** A cache with its own ioredis client, as another server instance would have. */
function instance(prefix: string, options: CacheOptions = {}): Cache {
  const redis = new Redis(redisUrl());
  onTestFinished(() => {
    redis.disconnect();
  });
  const cache = createCache({ redis, prefix, ...options });
  onTestFinished(() => cache.close());
  return cache;
}

/** Every key under `prefix`, found with SCAN. */
async function keysUnder(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await raw.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== "0");
  return found;
}

async function cleanup(prefix: string): Promise<void> {
  const keys = await keysUnder(prefix);
  if (keys.length > 0) await raw.del(...keys);
}

describe("two tiers against a real Redis", () => {
  it("serves a fresh instance from L2 and then from its own L1", async () => {
    const prefix = uniquePrefix();
    const writer = instance(prefix);
    const reader = instance(prefix);
    await writer.getOrSet("report:1", () => ({ rows: [1, 2, 3] }));
    const factory = vi.fn(() => ({ rows: [] }));
    expect(await reader.getOrSetEntry("report:1", factory)).toEqual({
      value: { rows: [1, 2, 3] },
      stale: false,
      source: "l2",
    });
    expect(await reader.getOrSet("report:1", factory)).toEqual({ rows: [1, 2, 3] });
    expect(factory).not.toHaveBeenCalled();
    expect(reader.stats()).toEqual({
      hits: { l1: 1, l2: 1 },
      misses: { l1: 1, l2: 0 },
      stale: 0,
      errors: 0,
      factoryCalls: 0,
    });
    await cleanup(prefix);
  });

  it("reports the L1 miss and the L2 hit of a fresh instance to its listeners, in that order", async () => {
    const prefix = uniquePrefix();
    const writer = instance(prefix);
    const reader = instance(prefix);
    await writer.set("report:2", { rows: [4] });
    const events: string[] = [];
    reader.on("miss", ({ key, tier }) => events.push(`miss ${tier} ${key}`));
    reader.on("hit", ({ key, tier }) => events.push(`hit ${tier} ${key}`));
    expect(await reader.getOrSet("report:2", () => ({ rows: [] }))).toEqual({ rows: [4] });
    expect(await reader.getOrSet("report:2", () => ({ rows: [] }))).toEqual({ rows: [4] });
    expect(events).toEqual(["miss l1 report:2", "hit l2 report:2", "hit l1 report:2"]);
    await cleanup(prefix);
  });

  it("stores the value under prefix + key with a PX covering the TTL plus the stale window", async () => {
    const prefix = uniquePrefix();
    const cache = instance(prefix, { staleIfErrorSeconds: 3600 });
    await cache.set("k", { a: 1 }, { ttlSeconds: 60 });
    const ttlMs = await raw.pttl(`${prefix}k`);
    expect(ttlMs).toBeGreaterThan(3_600_000);
    expect(ttlMs).toBeLessThanOrEqual(3_660_000);
    expect((await raw.get(`${prefix}k`))?.endsWith(':{"a":1}')).toBe(true);
    await cleanup(prefix);
  });

  it("serves a value stale from Redis on an instance that never saw it", async () => {
    const prefix = uniquePrefix();
    const writer = instance(prefix);
    await writer.set("k", "old", { ttlSeconds: 1, staleIfErrorSeconds: 600 });
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 5_000 });
    const stranger = instance(prefix);
    const failure = new Error("origin down");
    const result = await stranger.getOrSetEntry("k", () => {
      throw failure;
    });
    expect(result).toEqual({ value: "old", stale: true, source: "l2" });
    expect(stranger.stats().stale).toBe(1);
    expect(stranger.stats().misses.l2).toBe(1);
    await cleanup(prefix);
  });

  it("answers get, has and delete across instances", async () => {
    const prefix = uniquePrefix();
    const first = instance(prefix);
    const second = instance(prefix);
    await first.set("k", 42);
    expect(await second.get("k")).toBe(42);
    expect(await second.has("k")).toBe(true);
    await second.delete("k");
    expect(await raw.exists(`${prefix}k`)).toBe(0);
    await waitFor(async () => !(await first.has("k")), { what: "first instance to drop k" });
    expect(await first.get("k")).toBeUndefined();
  });

  it("drops other instances' L1 copies when a key is set, deleted or cleared", async () => {
    const prefix = uniquePrefix();
    const first = instance(prefix);
    const second = instance(prefix);
    await waitFor(async () => (await raw.pubsub("NUMSUB", `${prefix}__invalidate__`))[1] === 2, {
      what: "both instances to subscribe",
    });
    await first.set("k", "v1");
    expect(await second.get("k")).toBe("v1");
    await first.set("k", "v2");
    await waitFor(async () => (await second.get("k")) === "v2", { what: "second to see v2" });

    await first.set("user:1", "u");
    expect(await second.get("user:1")).toBe("u");
    await first.clear({ prefix: "user:" });
    await waitFor(async () => (await second.get("user:1")) === undefined, {
      what: "second to drop user:1",
    });
    await cleanup(prefix);
  });

  it("clear({ prefix }) deletes matching Redis keys with SCAN and leaves the rest", async () => {
    const prefix = uniquePrefix();
    const cache = instance(prefix);
    for (let index = 0; index < 1200; index++)
      await raw.set(`${prefix}user:${index}`, `0:0:${index}`);
    await cache.set("order:1", "keep");
    await cache.clear({ prefix: "user:" });
    expect(await keysUnder(`${prefix}user:`)).toEqual([]);
    expect(await raw.exists(`${prefix}order:1`)).toBe(1);
    // glob characters in a prefix match literally
    await cache.set("user*odd", "starred");
    await cache.set("user:even", "plain");
    await cache.clear({ prefix: "user*" });
    expect(await raw.exists(`${prefix}user*odd`, `${prefix}user:even`)).toBe(1);
    expect(await cache.get("user:even")).toBe("plain");
    await cache.clear();
    expect(await keysUnder(prefix)).toEqual([]);
  });

  it("stores over-long keys hashed in Redis", async () => {
    const prefix = uniquePrefix();
    const cache = instance(prefix);
    const key = `search:${"q".repeat(1000)}`;
    await cache.set(key, "result");
    const keys = await keysUnder(prefix);
    expect(keys).toHaveLength(1);
    expect(keys[0]?.length).toBe(prefix.length + 200);
    expect(await instance(prefix).get(key)).toBe("result");
    await cleanup(prefix);
  });

  it("reports healthy when Redis answers PING", async () => {
    const cache = instance(uniquePrefix());
    expect(await cache.healthCheck()).toBe("healthy");
  });
});

describe("cross-process lock", () => {
  it("makes one factory call across instances sharing Redis for a cold key", async () => {
    const prefix = uniquePrefix();
    const instances = [instance(prefix), instance(prefix), instance(prefix)];
    let calls = 0;
    const origin = deferred();
    const factory = async () => {
      calls++;
      await origin.promise;
      return { computed: true };
    };
    const pending = Promise.all(
      instances.flatMap((cache) =>
        Array.from({ length: 20 }, () => cache.getOrSet("cold", factory)),
      ),
    );
    // The origin answers once every instance has found Redis empty and gone for the lock.
    await vi.waitFor(() => {
      for (const cache of instances) expect(cache.stats().misses.l2).toBeGreaterThanOrEqual(1);
    });
    origin.resolve();
    const results = await pending;
    expect(calls).toBe(1);
    expect(results.every((value) => value.computed)).toBe(true);
    expect(instances.map((cache) => cache.stats().factoryCalls).sort()).toEqual([0, 0, 1]);
    expect(await raw.exists(`${prefix}__lock__:cold`)).toBe(0);
    await cleanup(prefix);
  });

  it("computes itself after lockWaitMs when the lock holder never writes", async () => {
    const prefix = uniquePrefix();
    await raw.set(`${prefix}__lock__:k`, "someone-else", "PX", 60_000);
    const cache = instance(prefix, { lockWaitMs: 100, lockPollMs: 10 });
    expect(await cache.getOrSet("k", () => "own")).toBe("own");
    expect(await raw.get(`${prefix}__lock__:k`)).toBe("someone-else");
    await cleanup(prefix);
  });

  it("releases only its own lock: a lock taken over after expiry is left alone", async () => {
    const prefix = uniquePrefix();
    const cache = instance(prefix, { lockTtlMs: 50 });
    const value = await cache.getOrSet("k", async () => {
      await waitFor(async () => (await raw.exists(`${prefix}__lock__:k`)) === 0, {
        what: "our lock to expire",
      });
      await raw.set(`${prefix}__lock__:k`, "new-holder", "PX", 60_000);
      return "v";
    });
    expect(value).toBe("v");
    expect(await raw.get(`${prefix}__lock__:k`)).toBe("new-holder");
    await cleanup(prefix);
  });
});
