import { deferred } from "@mcp-prod/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  CacheClosedError,
  CacheError,
  CacheSerializationError,
  CacheTimeoutError,
  createCache,
  type Serializer,
} from "./index.ts";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("memory-only cache: L1 and single-flight", () => {
  it("calls the factory once and answers the next call from L1", async () => {
    const cache = createCache();
    const factory = vi.fn(async () => ({ temperature: 21 }));
    expect(await cache.getOrSet("weather:oslo", factory)).toEqual({ temperature: 21 });
    expect(await cache.getOrSet("weather:oslo", factory)).toEqual({ temperature: 21 });
    expect(factory).toHaveBeenCalledTimes(1);
    expect(cache.stats()).toEqual({
      hits: { l1: 1, l2: 0 },
      misses: { l1: 1, l2: 0 },
      stale: 0,
      errors: 0,
      factoryCalls: 1,
    });
    await cache.close();
  });

  it("makes exactly one factory call for 200 concurrent misses on one key", async () => {
    const cache = createCache();
    const gate = deferred<string>();
    const factory = vi.fn(() => gate.promise);
    const calls = Array.from({ length: 200 }, () => cache.getOrSet("cold", factory));
    gate.resolve("value");
    expect(new Set(await Promise.all(calls))).toEqual(new Set(["value"]));
    expect(factory).toHaveBeenCalledTimes(1);
    expect(cache.stats().factoryCalls).toBe(1);
    await cache.close();
  });

  it("shares the factory's error with every concurrent caller and caches nothing", async () => {
    const cache = createCache();
    const failure = new Error("upstream 503");
    const gate = deferred<string>();
    const calls = [1, 2, 3].map(() => cache.getOrSet("k", () => gate.promise));
    gate.reject(failure);
    for (const call of calls) await expect(call).rejects.toBe(failure);
    expect(await cache.getOrSet("k", () => "recovered")).toBe("recovered");
  });

  it("expires entries after ttlSeconds and calls the factory again", async () => {
    vi.useFakeTimers();
    const cache = createCache({ defaultTtlSeconds: 60 });
    let version = 0;
    const factory = () => ++version;
    expect(await cache.getOrSet("k", factory)).toBe(1);
    vi.advanceTimersByTime(59_000);
    expect(await cache.getOrSet("k", factory)).toBe(1);
    vi.advanceTimersByTime(1_001);
    expect(await cache.getOrSet("k", factory)).toBe(2);
    expect(await cache.getOrSet("k", factory, { ttlSeconds: 5 })).toBe(2);
    await cache.close();
  });

  it("spreads expiries with jitterPercent by shortening the TTL", async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, "random").mockReturnValue(0.999);
    const cache = createCache({ defaultTtlSeconds: 100, jitterPercent: 20 });
    await cache.set("k", "v");
    vi.advanceTimersByTime(80_100);
    // 100 s shortened by up to 20 %: with random ≈ 1 it lives ≈ 80 s, not 100 s.
    expect(await cache.has("k")).toBe(false);
    await cache.close();
  });

  it("evicts the least recently used entry beyond maxEntries", async () => {
    const cache = createCache({ maxEntries: 2 });
    await cache.set("a", 1);
    await cache.set("b", 2);
    await cache.get("a");
    await cache.set("c", 3);
    expect(await cache.has("a")).toBe(true);
    expect(await cache.has("b")).toBe(false);
    expect(await cache.has("c")).toBe(true);
  });

  it("keeps L1 within maxBytes of serialized values", async () => {
    const cache = createCache({ maxBytes: 100 });
    await cache.set("a", "x".repeat(40));
    await cache.set("b", "y".repeat(40));
    await cache.set("c", "z".repeat(40));
    expect(await cache.has("a")).toBe(false);
    expect(await cache.get("b")).toBe("y".repeat(40));
    expect(await cache.get("c")).toBe("z".repeat(40));
  });

  it("emits hit and miss with the tier, and stats() counts them", async () => {
    const cache = createCache();
    const seen: string[] = [];
    cache.on("hit", ({ key, tier }) => seen.push(`hit:${tier}:${key}`));
    const off = cache.on("miss", ({ key, tier }) => seen.push(`miss:${tier}:${key}`));
    await cache.getOrSet("k", () => 1);
    await cache.getOrSet("k", () => 1);
    off();
    await cache.get("other");
    expect(seen).toEqual(["miss:l1:k", "hit:l1:k"]);
    expect(cache.stats().misses.l1).toBe(2);
  });

  it("removes keys by prefix with clear({ prefix }) and everything with clear()", async () => {
    const cache = createCache();
    await cache.set("user:1", 1);
    await cache.set("user:2", 2);
    await cache.set("order:1", 3);
    await cache.clear({ prefix: "user:" });
    expect([
      await cache.has("user:1"),
      await cache.has("user:2"),
      await cache.has("order:1"),
    ]).toEqual([false, false, true]);
    await cache.delete("order:1");
    expect(await cache.has("order:1")).toBe(false);
    await cache.set("x", 1);
    await cache.clear();
    expect(await cache.has("x")).toBe(false);
  });

  it("hashes over-long keys so they stay distinct and still match their prefix", async () => {
    const cache = createCache({ maxKeyLength: 100 });
    const head = `report:${"a".repeat(300)}`;
    await cache.set(`${head}:1`, "one");
    await cache.set(`${head}:2`, "two");
    expect(await cache.get(`${head}:1`)).toBe("one");
    expect(await cache.get(`${head}:2`)).toBe("two");
    await cache.clear({ prefix: "report:" });
    expect(await cache.has(`${head}:1`)).toBe(false);
  });
});

describe("stale-if-error and factory timeouts", () => {
  it("returns the expired value marked stale when the factory fails within staleIfErrorSeconds", async () => {
    vi.useFakeTimers();
    const cache = createCache({ defaultTtlSeconds: 10, staleIfErrorSeconds: 60 });
    const staleEvents: string[] = [];
    cache.on("stale", ({ key }) => staleEvents.push(key));
    await cache.set("k", "old");
    vi.advanceTimersByTime(30_000);
    const result = await cache.getOrSetEntry("k", () => {
      throw new Error("origin down");
    });
    expect(result).toEqual({ value: "old", stale: true, source: "l1" });
    expect(cache.stats().stale).toBe(1);
    expect(staleEvents).toEqual(["k"]);
    await cache.close();
  });

  it("does not serve a stale value when the fresh one cannot be serialized: that is a bug to see, not an outage", async () => {
    vi.useFakeTimers();
    const cache = createCache({ defaultTtlSeconds: 10, staleIfErrorSeconds: 60 });
    await cache.set("k", "old");
    vi.advanceTimersByTime(30_000);
    const error = await cache.getOrSet("k", () => 10n).catch((caught: unknown) => caught);
    expect(CacheSerializationError.isInstance(error)).toBe(true);
    expect(cache.stats().stale).toBe(0);
    await cache.close();
  });

  it("propagates the factory's own error unchanged once the stale window has passed", async () => {
    vi.useFakeTimers();
    const cache = createCache({ defaultTtlSeconds: 10, staleIfErrorSeconds: 60 });
    await cache.set("k", "old");
    vi.advanceTimersByTime(70_001);
    const failure = new RangeError("origin down");
    await expect(
      cache.getOrSet("k", () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(cache.stats().stale).toBe(0);
    await cache.close();
  });

  it("aborts the factory through its signal after timeoutMs and rejects with CacheTimeoutError", async () => {
    vi.useFakeTimers();
    const cache = createCache();
    let factorySignal: AbortSignal | undefined;
    const pending = cache.getOrSet(
      "slow",
      ({ signal }) => {
        factorySignal = signal;
        return new Promise<string>(() => {});
      },
      { timeoutMs: 500 },
    );
    const assertion = expect(pending).rejects.toSatisfy(
      (error) =>
        CacheTimeoutError.isInstance(error) &&
        CacheError.isInstance(error) &&
        error.code === "ECACHETIMEOUT" &&
        error.timeoutMs === 500,
    );
    await vi.advanceTimersByTimeAsync(500);
    await assertion;
    expect(factorySignal?.aborted).toBe(true);
    expect(CacheTimeoutError.isInstance(factorySignal?.reason)).toBe(true);
    await cache.close();
  });

  it("answers a soft timeout with the stale value and stores the background refresh", async () => {
    vi.useFakeTimers();
    const cache = createCache({ defaultTtlSeconds: 10, staleIfErrorSeconds: 600, timeoutMs: 200 });
    await cache.set("k", "old");
    vi.advanceTimersByTime(11_000);
    const refresh = deferred<string>();
    let factorySignal: AbortSignal | undefined;
    const pending = cache.getOrSetEntry("k", ({ signal }) => {
      factorySignal = signal;
      return refresh.promise;
    });
    await vi.advanceTimersByTimeAsync(200);
    expect(await pending).toEqual({ value: "old", stale: true, source: "l1" });
    expect(factorySignal?.aborted).toBe(false);
    refresh.resolve("new");
    await vi.advanceTimersByTimeAsync(0);
    expect(await cache.getOrSet("k", () => "unused")).toBe("new");
    expect(cache.stats().factoryCalls).toBe(1);
    await cache.close();
  });
});

describe("cancellation and lifecycle", () => {
  it("rejects a caller with its signal's reason and aborts the factory only when the last caller leaves", async () => {
    const cache = createCache();
    let factorySignal: AbortSignal | undefined;
    const factory = ({ signal }: { signal: AbortSignal }) => {
      factorySignal = signal;
      return new Promise<string>(() => {});
    };
    const first = new AbortController();
    const second = new AbortController();
    const one = cache.getOrSet("k", factory, { signal: first.signal });
    const two = cache.getOrSet("k", factory, { signal: second.signal });
    first.abort(new Error("first gone"));
    await expect(one).rejects.toThrow("first gone");
    expect(factorySignal?.aborted).toBe(false);
    second.abort(new Error("second gone"));
    await expect(two).rejects.toThrow("second gone");
    expect(factorySignal?.aborted).toBe(true);
    await cache.close();
  });

  it("rejects at once for an already aborted signal without calling the factory", async () => {
    const cache = createCache();
    const factory = vi.fn(() => "v");
    await expect(
      cache.getOrSet("k", factory, { signal: AbortSignal.abort(new Error("cancelled")) }),
    ).rejects.toThrow("cancelled");
    expect(factory).not.toHaveBeenCalled();
  });

  it("keeps healthCheck and close working when passed around unbound", async () => {
    const cache = createCache();
    const { healthCheck, close } = cache;
    expect(await healthCheck()).toBe("healthy");
    await close();
    await expect(cache.get("k")).rejects.toSatisfy((error) => CacheClosedError.isInstance(error));
  });

  it("aborts running factories on close() and refuses calls afterwards", async () => {
    const cache = createCache();
    let factorySignal: AbortSignal | undefined;
    const pending = cache.getOrSet("k", ({ signal }) => {
      factorySignal = signal;
      return new Promise((_, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason)),
      );
    });
    await cache.close();
    await expect(pending).rejects.toSatisfy((error) => CacheClosedError.isInstance(error));
    expect(factorySignal?.aborted).toBe(true);
    await expect(cache.get("k")).rejects.toSatisfy(
      (error) => CacheError.isInstance(error) && error.code === "ECACHECLOSED",
    );
    expect(await cache.healthCheck()).toBe("unhealthy");
  });

  it("reports a memory-only cache as healthy", async () => {
    expect(await createCache().healthCheck()).toBe("healthy");
  });
});

describe("serialization", () => {
  it.each([
    ["a BigInt", { id: 1n }],
    ["undefined", undefined],
    ["a function", () => 1],
    [
      "a circular object",
      (() => {
        const node: { self?: unknown } = {};
        node.self = node;
        return node;
      })(),
    ],
  ])("rejects %s at set with CacheSerializationError and stores nothing", async (_, value) => {
    const cache = createCache();
    const error = await cache.set("k", value).catch((caught: unknown) => caught);
    expect(CacheSerializationError.isInstance(error)).toBe(true);
    expect((error as CacheSerializationError).code).toBe("ECACHESERIALIZATION");
    expect((error as CacheSerializationError).cause).toBeDefined();
    expect(await cache.has("k")).toBe(false);
  });

  it("names the key and the value's type in CacheSerializationError", async () => {
    const cache = createCache();
    const error = await cache
      .set("report:42", { total: 10n })
      .catch((caught: unknown) => caught as CacheSerializationError);
    expect(error).toMatchObject({ key: "report:42", valueType: "Object" });
    expect((error as Error).message).toBe(
      'Cache value of key "report:42" (Object) cannot be serialized: Do not know how to serialize a BigInt',
    );
    const fn = (await cache.set("job", () => 1).catch((caught: unknown) => caught)) as Error;
    expect(fn.message).toMatch(/^Cache value of key "job" \(function\) cannot be serialized/);
  });

  it("rejects a factory value that cannot be serialized instead of caching it", async () => {
    const cache = createCache();
    await expect(cache.getOrSet("k", () => 10n)).rejects.toSatisfy((error) =>
      CacheSerializationError.isInstance(error),
    );
    expect(await cache.has("k")).toBe(false);
  });

  it("uses a pluggable serializer", async () => {
    const serialize = vi.fn((value: unknown) => `v:${String(value)}`);
    const serializer: Serializer = { serialize, deserialize: (text) => text.slice(2) };
    const cache = createCache({ serializer });
    await cache.set("k", "hello");
    expect(serialize).toHaveBeenCalledWith("hello");
  });
});

describe("options", () => {
  it.each([
    [
      { defaultTtlSeconds: -1 },
      "Expected `defaultTtlSeconds` to be a positive finite number, got -1",
    ],
    [
      { staleIfErrorSeconds: Number.NaN },
      "Expected `staleIfErrorSeconds` to be a non-negative finite number, got NaN",
    ],
    [{ maxEntries: 1.5 }, "Expected `maxEntries` to be a positive integer, got 1.5"],
    [{ jitterPercent: 150 }, "Expected `jitterPercent` to be a number from 0 to 100, got 150"],
    [{ redisTimeoutMs: 0 }, "Expected `redisTimeoutMs` to be a positive finite number, got 0"],
    [{ name: "" }, 'Expected `name` to be a non-empty string, got ""'],
    [{ invalidation: true }, "Expected `redis` to be set when `invalidation` is true"],
    [{ maxKeyLength: 20 }, "Expected `maxKeyLength` to be at least 100, got 20"],
  ])("throws a TypeError naming the option for %j", (options, message) => {
    expect(() => createCache(options as never)).toThrow(new TypeError(message));
  });

  it("validates per-call options and the key", async () => {
    const cache = createCache();
    await expect(cache.getOrSet("k", () => 1, { ttlSeconds: 0 })).rejects.toThrow(
      new TypeError("Expected `ttlSeconds` to be a positive finite number, got 0"),
    );
    await expect(cache.getOrSet("", () => 1)).rejects.toThrow(
      new TypeError('Expected `key` to be a non-empty string, got ""'),
    );
    await expect(cache.getOrSet("k", "nope" as never)).rejects.toThrow(
      new TypeError('Expected `factory` to be a function, got "nope"'),
    );
  });
});
