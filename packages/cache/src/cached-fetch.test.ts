import { randomUUID } from "node:crypto";
import { createTcpProxy, deferred, redisUrl } from "@mcp-prod/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { cachedFetch } from "./index.ts";

let redis: Redis;

beforeAll(() => {
  redis = new Redis(redisUrl());
});

afterAll(() => {
  redis.disconnect();
});

describe("cachedFetch (the read-through helper)", () => {
  it("stores the fetched value under the key as given, with the TTL, and reads it back", async () => {
    const key = `test:cached-fetch:${randomUUID()}`;
    const fetch = vi.fn(async () => ({ id: 42, name: "Ada" }));
    expect(await cachedFetch(redis, key, fetch, 120)).toEqual({ id: 42, name: "Ada" });
    expect(await cachedFetch(redis, key, fetch, 120)).toEqual({ id: 42, name: "Ada" });
    expect(fetch).toHaveBeenCalledTimes(1);
    const ttlMs = await redis.pttl(key);
    expect(ttlMs).toBeGreaterThan(110_000);
    expect(ttlMs).toBeLessThanOrEqual(120_000);
    await redis.del(key);
  });

  it("makes one fetch call for 1000 concurrent requests on a cold key (a naive read-through makes 1000)", async () => {
    const key = `test:cached-fetch:${randomUUID()}`;
    let calls = 0;
    const origin = deferred();
    const fetch = async () => {
      calls++;
      await origin.promise;
      return "origin";
    };
    const pending = Promise.all(Array.from({ length: 1000 }, () => cachedFetch(redis, key, fetch)));
    // Redis answers one connection's commands in order: once this PING is back, every
    // request's read of the cold key has been answered, and the origin may answer.
    await redis.ping();
    origin.resolve();
    const values = await pending;
    expect(calls).toBe(1);
    expect(new Set(values)).toEqual(new Set(["origin"]));
    await redis.del(key);
  });

  it("still answers from fetch when Redis is unreachable", async () => {
    const url = new URL(redisUrl());
    const proxy = await createTcpProxy({ port: Number(url.port || 6379) });
    const client = new Redis({ port: proxy.port, host: "127.0.0.1", maxRetriesPerRequest: 1 });
    client.on("error", () => {});
    try {
      proxy.down();
      const key = `test:cached-fetch:${randomUUID()}`;
      expect(await cachedFetch(client, key, async () => "from origin", 60)).toBe("from origin");
      const failure = new Error("origin failed too");
      await expect(
        cachedFetch(client, `${key}:2`, async () => {
          throw failure;
        }),
      ).rejects.toBe(failure);
    } finally {
      client.disconnect();
      await proxy.close();
    }
  });
});
