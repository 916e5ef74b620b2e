import {
  createTcpProxy,
  type PrivateRedis,
  startRedis,
  type TcpProxy,
  waitFor,
} from "@mcp-prod/testkit";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { type Cache, CacheError, type CacheOptions, createCache } from "./index.ts";

let server: PrivateRedis;
let keyCounter = 0;

beforeAll(async () => {
  server = await startRedis();
});

afterEach(() => {
  vi.useRealTimers();
  server.resume();
});

afterAll(async () => {
  await server.stop();
});

function client(port = server.port): Redis {
  const redis = new Redis({ host: "127.0.0.1", port, retryStrategy: () => 50 });
  // A client whose server is being killed reports connection errors; the test owns it.
  redis.on("error", () => {});
  onTestFinished(() => {
    redis.disconnect();
  });
  return redis;
}

function instance(redis: Redis, options: CacheOptions = {}): Cache {
  const cache = createCache({ redis, prefix: "fault:", redisTimeoutMs: 100, ...options });
  onTestFinished(() => cache.close());
  return cache;
}

function key(name: string): string {
  keyCounter++;
  return `${name}:${keyCounter}`;
}

/** Every operation answers with the right value or the factory's own error while Redis is broken. */
async function expectServedWithoutRedis(cache: Cache, warmKey: string): Promise<void> {
  expect(await cache.getOrSet(warmKey, () => "recomputed")).toBe("warm");
  const cold = Array.from({ length: 25 }, (_, index) =>
    cache.getOrSet(key("cold"), () => `origin-${index}`),
  );
  expect(await Promise.all(cold)).toEqual(
    Array.from({ length: 25 }, (_, index) => `origin-${index}`),
  );
  const failure = new Error("origin failed");
  await expect(
    cache.getOrSet(key("failing"), () => {
      throw failure;
    }),
  ).rejects.toBe(failure);
  await expect(cache.set(key("set"), "v")).resolves.toBeUndefined();
  await expect(cache.delete(key("del"))).resolves.toBeUndefined();
  await expect(cache.clear({ prefix: "cold:" })).resolves.toBeUndefined();
  expect(await cache.has(key("absent"))).toBe(false);
  expect(await cache.healthCheck()).toBe("degraded");
}

describe("Redis killed and restarted", () => {
  it("keeps answering while Redis is dead, uses it again after restart and drops L1 copies that missed invalidations", async () => {
    // Connected before the first reads, which a slow connect would otherwise time out.
    const [writerRedis, readerRedis] = [client(), client()];
    await Promise.all([writerRedis.ping(), readerRedis.ping()]);
    const writer = instance(writerRedis);
    const reader = instance(readerRedis);
    const errors: unknown[] = [];
    writer.on("error", ({ error }) => errors.push(error));
    await writer.set("warm", "warm", { ttlSeconds: 600 });
    expect(await reader.get("warm")).toBe("warm");
    await writer.set("coherent", "before the outage", { ttlSeconds: 600 });
    expect(await reader.get("coherent")).toBe("before the outage");

    await server.kill();
    await expectServedWithoutRedis(writer, "warm");
    expect(writer.stats().errors).toBeGreaterThan(0);
    expect(errors.length).toBe(writer.stats().errors);

    await server.restart();
    await waitFor(async () => (await writer.healthCheck()) === "healthy", {
      what: "the cache to reach the restarted Redis",
    });
    // The restarted Redis lost its data and any invalidation sent meanwhile;
    // the reader drops its L1 copies once its subscriber is back.
    await waitFor(async () => (await reader.get("coherent")) === undefined, {
      what: "the reader to drop L1 copies that may have missed invalidations",
    });
    await writer.set("after-restart", { back: true });
    const check = client();
    expect(await check.get("fault:after-restart")).toMatch(/:\{"back":true\}$/);
    const stranger = instance(client());
    expect(await stranger.getOrSetEntry("after-restart", () => ({ back: false }))).toEqual({
      value: { back: true },
      stale: false,
      source: "l2",
    });

    // invalidation resubscribed: the reader drops its L1 copy when the writer changes the key
    expect(await reader.get("after-restart")).toEqual({ back: true });
    await waitFor(
      async () => {
        await writer.set("after-restart", { back: "again" });
        return (await reader.get<{ back: unknown }>("after-restart"))?.back === "again";
      },
      { what: "the reader to see the writer's new value" },
    );
  });

  it("serves a stale L1 value when Redis is dead and the factory fails", async () => {
    const cache = instance(client(), { staleIfErrorSeconds: 600 });
    await cache.set("k", "old", { ttlSeconds: 1 });
    await server.kill();
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 5_000 });
    const result = await cache.getOrSetEntry("k", () => {
      throw new Error("origin down");
    });
    expect(result).toEqual({ value: "old", stale: true, source: "l1" });
    vi.useRealTimers();
    await server.restart();
  });
});

describe("Redis paused (SIGSTOP: connected but silent)", () => {
  it("bounds every command by redisTimeoutMs and resumes using Redis afterwards", async () => {
    const cache = instance(client());
    const codes: unknown[] = [];
    cache.on("error", ({ error }) => codes.push(CacheError.isInstance(error) ? error.code : error));
    await cache.set("warm", "warm", { ttlSeconds: 600 });
    server.pause();
    await expectServedWithoutRedis(cache, "warm");
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set(["ECACHEREDISTIMEOUT"]));
    server.resume();
    await waitFor(async () => (await cache.healthCheck()) === "healthy", {
      what: "Redis to answer again",
    });
    await cache.set("after-pause", 1);
    expect(await client().get("fault:after-pause")).toMatch(/:1$/);
  });
});

describe("connection trouble through a TCP proxy", () => {
  let proxy: TcpProxy;

  beforeAll(async () => {
    proxy = await createTcpProxy({ port: server.port });
  });

  afterAll(async () => {
    await proxy.close();
  });

  it("treats a frozen connection like a slow Redis and recovers when it thaws", async () => {
    const cache = instance(client(proxy.port));
    await cache.set("warm", "warm", { ttlSeconds: 600 });
    proxy.freeze();
    await expectServedWithoutRedis(cache, "warm");
    proxy.unfreeze();
    await waitFor(async () => (await cache.healthCheck()) === "healthy", {
      what: "the proxy to forward again",
    });
    await cache.set("after-thaw", 2);
    expect(await client().get("fault:after-thaw")).toMatch(/:2$/);
  });

  it("reconnects after the connection is cut and the proxy refuses for a while", async () => {
    const cache = instance(client(proxy.port));
    await cache.set("warm", "warm", { ttlSeconds: 600 });
    proxy.down();
    await expectServedWithoutRedis(cache, "warm");
    proxy.up();
    await waitFor(async () => (await cache.healthCheck()) === "healthy", {
      what: "ioredis to reconnect through the proxy",
    });
    const fresh = instance(client());
    await cache.set("after-cut", 3);
    expect(await fresh.get("after-cut")).toBe(3);
  });
});
