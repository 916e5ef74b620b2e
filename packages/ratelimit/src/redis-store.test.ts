import { randomUUID } from "node:crypto";
import {
  connectInMemory,
  type PrivateRedis,
  redisUrl,
  startRedis,
  waitFor,
} from "@mcp-prod/testkit";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import {
  createRateLimiter,
  RATE_LIMIT_META_KEY,
  RateLimitExceededError,
  type RateLimiterOptions,
  type RateLimitResult,
  RateLimitStoreError,
  withRateLimit,
} from "./index.ts";

function connect(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  // A killed server makes the client emit errors while it reconnects; the limiter reports them itself.
  client.on("error", () => {});
  onTestFinished(() => client.disconnect());
  return client;
}

function uniquePrefix(): string {
  return `test:ratelimit:${randomUUID()}`;
}

async function outcome(
  promise: Promise<RateLimitResult>,
): Promise<RateLimitResult | RateLimitExceededError> {
  return promise.catch((error: unknown) => {
    if (RateLimitExceededError.isInstance(error)) return error;
    throw error;
  });
}

describe("createRateLimiter with the shared Redis", () => {
  it("counts in Redis under `keyPrefix` and refuses over the limit", async () => {
    const redis = connect(redisUrl());
    const keyPrefix = uniquePrefix();
    const limiter = createRateLimiter({ points: 2, durationSeconds: 60, redis, keyPrefix });
    await expect(limiter.consume("alice")).resolves.toMatchObject({
      store: "redis",
      remainingPoints: 1,
    });
    await limiter.consume("alice");
    const refused = await outcome(limiter.consume("alice"));
    expect(RateLimitExceededError.isInstance(refused)).toBe(true);
    expect((refused as RateLimitExceededError).retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(await redis.get(`${keyPrefix}:alice`)).toBe("3");
    const ttl = await redis.pttl(`${keyPrefix}:alice`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await limiter.reset("alice");
    expect(await redis.exists(`${keyPrefix}:alice`)).toBe(0);
  });

  it("waits for the client's first connect instead of falling back at start-up", async () => {
    const redis = connect(redisUrl());
    const limiter = createRateLimiter({
      points: 2,
      durationSeconds: 60,
      redis,
      keyPrefix: uniquePrefix(),
    });
    const errors: unknown[] = [];
    limiter.on("error", ({ error }) => errors.push(error));
    expect(redis.status).not.toBe("ready");
    await expect(limiter.consume("alice")).resolves.toMatchObject({ store: "redis" });
    expect(errors).toEqual([]);
  });

  it("enforces one limit for two limiters (two replicas) sharing Redis and a prefix", async () => {
    const keyPrefix = uniquePrefix();
    const options = { name: "tools", points: 5, durationSeconds: 60, keyPrefix } as const;
    const replicaA = createRateLimiter({ ...options, redis: connect(redisUrl()) });
    const replicaB = createRateLimiter({ ...options, redis: connect(redisUrl()) });
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        outcome((index % 2 === 0 ? replicaA : replicaB).consume("alice")),
      ),
    );
    const allowed = outcomes.filter((item) => !RateLimitExceededError.isInstance(item));
    expect(allowed).toHaveLength(5);
    expect(allowed.every((item) => (item as RateLimitResult).store === "redis")).toBe(true);
    // The other client's budget is untouched on either replica.
    await expect(replicaB.consume("bob")).resolves.toMatchObject({ remainingPoints: 4 });
  });
});

describe("a store error that names a secret", () => {
  it("reports it without the password, on the error event and in the cause's message", async () => {
    const redis = connect(redisUrl());
    await redis.ping();
    // A store that answers with an error quoting its URL, password included, as some
    // proxies and cluster redirects do; the client is real, its replies are not.
    const secretUrl = "redis://default:hunter2-s3cret@10.0.0.5:6379/0";
    redis.sendCommand = ((command: {
      reject: (error: Error) => void;
      promise: Promise<unknown>;
    }) => {
      command.reject(new Error(`ERR proxy cannot reach ${secretUrl}`));
      return command.promise;
    }) as unknown as Redis["sendCommand"];
    const limiter = createRateLimiter({
      points: 5,
      durationSeconds: 60,
      redis,
      keyPrefix: uniquePrefix(),
    });
    const errors: Error[] = [];
    limiter.on("error", ({ error }) => errors.push(error));
    await expect(limiter.consume("alice")).resolves.toMatchObject({ store: "fallback" });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).not.toContain("hunter2-s3cret");
    expect(errors[0]?.message).toContain("10.0.0.5");
    expect(String(errors[0])).not.toContain("hunter2-s3cret");
  });
});

describe("createRateLimiter when Redis fails", () => {
  let server: PrivateRedis;
  let options: RateLimiterOptions;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server.stop();
  });

  async function startWith(extra: Partial<RateLimiterOptions> = {}) {
    const redis = connect(server.url);
    await waitFor(() => redis.status === "ready", { what: "ioredis ready" });
    options = { points: 2, durationSeconds: 60, keyPrefix: uniquePrefix(), redis, ...extra };
    const limiter = createRateLimiter(options);
    const errors: unknown[] = [];
    limiter.on("error", ({ error }) => errors.push(error));
    return { redis, limiter, errors };
  }

  it("fails open: with Redis killed calls are counted per replica in memory, never an error to the caller, and Redis is used again after a restart", async () => {
    const { redis, limiter, errors } = await startWith();
    await expect(limiter.consume("alice")).resolves.toMatchObject({ store: "redis" });

    await server.kill();
    await waitFor(() => redis.status !== "ready", { what: "ioredis to notice" });
    const during = [
      await outcome(limiter.consume("alice")),
      await outcome(limiter.consume("alice")),
      await outcome(limiter.consume("alice")),
    ];
    // The fallback enforces the same points on its own count.
    expect(during.slice(0, 2)).toMatchObject([
      { store: "fallback", remainingPoints: 1 },
      { store: "fallback", remainingPoints: 0 },
    ]);
    expect(RateLimitExceededError.isInstance(during[2])).toBe(true);
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(errors.every((error) => RateLimitStoreError.isInstance(error))).toBe(true);
    expect((errors[0] as RateLimitStoreError).code).toBe("ERATELIMITSTORE");
    expect((errors[0] as RateLimitStoreError).cause).toBeInstanceOf(Error);

    await server.restart();
    await waitFor(() => redis.status === "ready", { what: "ioredis to reconnect" });
    // The restarted server is empty: the count starts again in Redis.
    await expect(limiter.consume("alice")).resolves.toMatchObject({
      store: "redis",
      remainingPoints: 1,
    });
    expect(await redis.get(`${options.keyPrefix}:alice`)).toBe("1");
  });

  it("fails closed when asked: calls are refused with storeUnavailable while Redis is down", async () => {
    const { redis, limiter, errors } = await startWith({
      onStoreError: "closed",
      storeUnavailableRetryAfterMs: 2_000,
    });
    await server.kill();
    await waitFor(() => redis.status !== "ready", { what: "ioredis to notice" });
    const refused = await outcome(limiter.consume("alice"));
    expect(RateLimitExceededError.isInstance(refused)).toBe(true);
    expect(refused).toMatchObject({
      storeUnavailable: true,
      retryAfterMs: 2_000,
      retryAfterSeconds: 2,
    });
    expect(RateLimitStoreError.isInstance((refused as RateLimitExceededError).cause)).toBe(false);
    expect((refused as RateLimitExceededError).cause).toBeInstanceOf(Error);
    expect(errors).toHaveLength(1);
    await server.restart();
    await waitFor(() => redis.status === "ready", { what: "ioredis to reconnect" });
    await expect(limiter.consume("alice")).resolves.toMatchObject({ store: "redis" });
  });

  it("decides from the fallback when Redis hangs longer than storeTimeoutMs", async () => {
    const { limiter, errors } = await startWith({ storeTimeoutMs: 100 });
    server.pause();
    try {
      await expect(limiter.consume("alice")).resolves.toMatchObject({ store: "fallback" });
    } finally {
      server.resume();
    }
    expect((errors[0] as RateLimitStoreError).message).toBe(
      "Rate limit store failed: Redis did not answer within 100 ms",
    );
  });

  it("gives an SDK client tool results, never an error, while Redis is killed", async () => {
    const { redis, limiter, errors } = await startWith({ points: 100 });
    const mcp = new McpServer({ name: "t", version: "1.0.0" });
    mcp.registerTool(
      "ping",
      {},
      withRateLimit(async () => ({ content: [{ type: "text", text: "pong" }] }), { limiter }),
    );
    const { client, close } = await connectInMemory(mcp);
    try {
      const before = await client.callTool({ name: "ping" });
      await server.kill();
      await waitFor(() => redis.status !== "ready", { what: "ioredis to notice" });
      const during = await client.callTool({ name: "ping" });
      expect(before._meta?.[RATE_LIMIT_META_KEY]).toMatchObject({ store: "redis" });
      expect(during.isError).toBeFalsy();
      expect(during.content).toEqual([{ type: "text", text: "pong" }]);
      expect(during._meta?.[RATE_LIMIT_META_KEY]).toMatchObject({
        limited: false,
        store: "fallback",
      });
      expect(errors).toHaveLength(1);
    } finally {
      await close();
      await server.restart();
    }
  });

  it("rejects with the signal's reason when the call is cancelled while Redis hangs", async () => {
    const { limiter } = await startWith({ storeTimeoutMs: 10_000 });
    const controller = new AbortController();
    const reason = new Error("cancelled");
    server.pause();
    try {
      const pending = limiter.consume("alice", { signal: controller.signal });
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
    } finally {
      server.resume();
    }
  });
});
