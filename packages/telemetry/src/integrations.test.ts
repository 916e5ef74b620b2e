import { randomUUID } from "node:crypto";
import { BreakerOpenError, createBreaker, withBreaker } from "@mcp-prod/breaker";
import { createCache } from "@mcp-prod/cache";
import { createPool } from "@mcp-prod/pool";
import { createRateLimiter } from "@mcp-prod/ratelimit";
import {
  connectInMemory as connectPair,
  databaseUrl,
  redisUrl,
  startRedis,
  waitFor,
} from "@mcp-prod/testkit";
import { Redis } from "ioredis";
import pg from "pg";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { z } from "zod";
import { newServer, seriesValue } from "./telemetry.test-helpers.ts";
import { createTelemetry } from "./telemetry.ts";

// The real @mcp-prod packages against the real servers, observed only through
// the structural contracts: telemetry imports none of them.
function redisClient(url = redisUrl()): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  onTestFinished(() => client.disconnect());
  return client;
}

describe("observing a real @mcp-prod/breaker", () => {
  it("follows the breaker through closed → open → halfOpen → closed, with its rejects and timeouts", async () => {
    vi.useFakeTimers();
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const telemetry = createTelemetry({ serviceName: "svc" });
    onTestFinished(() => telemetry.close());
    let mode: "fail" | "hang" | "ok" = "fail";
    const breaker = createBreaker(
      async () => {
        if (mode === "fail") throw new Error("upstream 503");
        if (mode === "hang") return new Promise<string>(() => {});
        return "sunny";
      },
      {
        name: "weather-api",
        volumeThreshold: 3,
        errorThresholdPercentage: 50,
        resetTimeout: 1000,
        timeout: 500,
      },
    );
    onTestFinished(() => breaker.close());
    telemetry.observeBreaker(breaker);
    const { registry } = telemetry;
    const state = async () => {
      const values = await Promise.all(
        (["closed", "open", "halfOpen"] as const).map((name) =>
          seriesValue(registry, "mcp_breaker_state", { breaker: "weather-api", state: name }),
        ),
      );
      return values;
    };
    const transitions = (from: string, to: string) =>
      seriesValue(registry, "mcp_breaker_transitions_total", { breaker: "weather-api", from, to });

    expect(await state()).toEqual([1, 0, 0]);
    await expect(breaker.fire()).rejects.toThrow("upstream 503");
    mode = "hang";
    const hung = breaker.fire();
    const hungResult = expect(hung).rejects.toThrow();
    await vi.advanceTimersByTimeAsync(500);
    await hungResult;
    mode = "fail";
    await expect(breaker.fire()).rejects.toThrow("upstream 503");
    expect(await state()).toEqual([0, 1, 0]);
    expect(await transitions("closed", "open")).toBe(1);

    let rejected: unknown;
    await breaker.fire().catch((error: unknown) => {
      rejected = error;
    });
    expect(BreakerOpenError.isInstance(rejected)).toBe(true);
    expect(
      await seriesValue(registry, "mcp_breaker_rejects_total", { breaker: "weather-api" }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_breaker_timeouts_total", { breaker: "weather-api" }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_breaker_calls_total", {
        breaker: "weather-api",
        result: "failure",
      }),
    ).toBe(breaker.stats().failures);

    await vi.advanceTimersByTimeAsync(1000);
    mode = "ok";
    expect(await breaker.fire()).toBe("sunny");
    expect(await state()).toEqual([1, 0, 0]);
    expect(await transitions("open", "halfOpen")).toBe(1);
    expect(await transitions("halfOpen", "closed")).toBe(1);
    expect(
      await seriesValue(registry, "mcp_breaker_calls_total", {
        breaker: "weather-api",
        result: "success",
      }),
    ).toBe(1);
    expect(await telemetry.metrics()).not.toContain("upstream 503");
  });
});

describe("telemetry outermost in the wrapper chain, through a real McpServer", () => {
  it("counts the thrown error as error, then the open breaker's isError answer as rejected", async () => {
    const reports: unknown[] = [];
    const telemetry = createTelemetry({
      serviceName: "svc",
      onError: (error) => reports.push(error),
    });
    onTestFinished(() => telemetry.close());
    // A breaker shared by the tool (withBreaker's `breaker` option), observed by telemetry.
    const breaker = createBreaker(async () => undefined, {
      name: "forecast",
      volumeThreshold: 1,
      errorThresholdPercentage: 50,
      resetTimeout: 60_000,
    });
    onTestFinished(() => breaker.close());
    telemetry.observeBreaker(breaker);
    let handlerCalls = 0;
    const server = newServer();
    server.registerTool(
      "forecast",
      { inputSchema: { city: z.string() } },
      telemetry.wrap(
        "forecast",
        withBreaker(
          async ({ city }: { city: string }) => {
            handlerCalls += 1;
            throw new Error(`forecast service down for ${city}`);
          },
          { breaker },
        ),
      ),
    );
    const pair = await connectPair(server);
    onTestFinished(() => pair.close());

    const first = await pair.client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    const second = await pair.client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    expect(first.isError).toBe(true);
    expect(JSON.stringify(first.content)).toContain("forecast service down for Oslo");
    expect(second).toMatchObject({
      isError: true,
      content: [{ type: "text", text: "Service temporarily unavailable" }],
    });
    expect(handlerCalls).toBe(1);
    // Only the thrown error is reported; the open breaker's answer is a result the tool chose.
    expect(reports).toEqual([new Error("forecast service down for Oslo")]);
    const { registry } = telemetry;
    // The thrown error is an error; the open breaker's refusal is counted as rejected.
    expect(
      await seriesValue(registry, "mcp_tool_calls_total", { tool: "forecast", status: "error" }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_tool_calls_total", { tool: "forecast", status: "rejected" }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_breaker_state", { breaker: "forecast", state: "open" }),
    ).toBe(1);
    expect(await seriesValue(registry, "mcp_breaker_rejects_total", { breaker: "forecast" })).toBe(
      1,
    );
  });
});

describe("observing a real @mcp-prod/cache on Redis", () => {
  it("counts an L1+L2 miss, an L1 hit, and an L2 hit on a second replica", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    onTestFinished(() => telemetry.close());
    const prefix = `telemetry-test:${randomUUID()}:`;
    const cache = createCache({ name: "users", redis: redisClient(), prefix });
    const replica = createCache({ name: "users-replica", redis: redisClient(), prefix });
    onTestFinished(() => cache.close());
    onTestFinished(() => replica.close());
    telemetry.observeCache(cache);
    telemetry.observeCache(replica);
    let factoryCalls = 0;
    const load = async () => {
      factoryCalls += 1;
      return { id: 42, name: "Ada" };
    };

    expect(await cache.getOrSet("user:42", load)).toEqual({ id: 42, name: "Ada" });
    expect(await cache.getOrSet("user:42", load)).toEqual({ id: 42, name: "Ada" });
    expect(await replica.getOrSet("user:42", load)).toEqual({ id: 42, name: "Ada" });
    expect(factoryCalls).toBe(1);

    const { registry } = telemetry;
    expect(
      await seriesValue(registry, "mcp_cache_misses_total", { cache: "users", tier: "l1" }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_cache_misses_total", { cache: "users", tier: "l2" }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_cache_hits_total", { cache: "users", tier: "l1" }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_cache_hits_total", { cache: "users-replica", tier: "l1" }),
    ).toBe(0);
    expect(
      await seriesValue(registry, "mcp_cache_misses_total", { cache: "users-replica", tier: "l1" }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_cache_hits_total", { cache: "users-replica", tier: "l2" }),
    ).toBe(1);
    expect(await telemetry.metrics()).not.toContain("user:42");
  });

  it("counts Redis errors by operation when the cache's Redis dies", async () => {
    const redis = await startRedis();
    onTestFinished(() => redis.stop());
    const telemetry = createTelemetry({ serviceName: "svc" });
    onTestFinished(() => telemetry.close());
    const cache = createCache({ name: "reports", redis: redisClient(redis.url), prefix: "t:" });
    onTestFinished(() => cache.close());
    telemetry.observeCache(cache);
    const seen: string[] = [];
    cache.on("error", ({ operation }) => seen.push(operation));
    await cache.getOrSet("report:1", async () => "warm");
    await redis.kill();

    expect(await cache.getOrSet("report:2", async () => "fresh")).toBe("fresh");
    expect(seen.length).toBeGreaterThan(0);
    for (const operation of new Set(seen)) {
      const emitted = seen.filter((name) => name === operation).length;
      expect(
        await seriesValue(telemetry.registry, "mcp_cache_errors_total", {
          cache: "reports",
          operation,
        }),
      ).toBe(emitted);
    }
    expect(await telemetry.metrics()).not.toContain("report:2");
  });
});

describe("observing a real @mcp-prod/pool on PostgreSQL", () => {
  it("reports total, idle and waiting from the pool and times every acquire", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    onTestFinished(() => telemetry.close());
    const pool = createPool({ connectionString: databaseUrl(), name: "primary", max: 2 });
    onTestFinished(() => pool.close());
    telemetry.observePool(pool);
    let acquires = 0;
    pool.on("acquire", () => {
      acquires += 1;
    });
    const { registry } = telemetry;
    const gauges = async () => ({
      total: await seriesValue(registry, "mcp_pool_connections", { pool: "primary" }),
      idle: await seriesValue(registry, "mcp_pool_idle_connections", { pool: "primary" }),
      waiting: await seriesValue(registry, "mcp_pool_waiting_requests", { pool: "primary" }),
      max: await seriesValue(registry, "mcp_pool_max_connections", { pool: "primary" }),
    });

    const { rows } = await pool.query<{ one: number }>("SELECT 1 AS one");
    expect(rows[0]?.one).toBe(1);
    const first = await pool.acquire();
    const second = await pool.acquire();
    const third = pool.acquire();
    await waitFor(() => pool.stats().waiting === 1, { what: "a caller waiting for a connection" });
    expect(await gauges()).toEqual({ total: 2, idle: 0, waiting: 1, max: 2 });

    first.release();
    (await third).release();
    second.release();
    await waitFor(() => pool.stats().idle === 2, { what: "both connections idle" });
    expect(await gauges()).toEqual({ total: 2, idle: 2, waiting: 0, max: 2 });
    expect(acquires).toBeGreaterThanOrEqual(4);
    expect(await seriesValue(registry, "mcp_pool_acquire_seconds_count", { pool: "primary" })).toBe(
      acquires,
    );
  });

  it("counts a leaked connection and a connection the server killed", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    onTestFinished(() => telemetry.close());
    const applicationName = `telemetry-test-${randomUUID()}`;
    const pool = createPool({
      connectionString: databaseUrl(),
      name: "leaky",
      max: 2,
      leakDetectionMs: 50,
      applicationName,
    });
    onTestFinished(() => pool.close());
    telemetry.observePool(pool);
    const { registry } = telemetry;

    const held = await pool.acquire();
    await waitFor(
      async () => (await seriesValue(registry, "mcp_pool_leaks_total", { pool: "leaky" })) === 1,
      {
        what: "the leak to be counted",
      },
    );
    held.release();
    await waitFor(() => pool.stats().idle >= 1, { what: "an idle connection" });

    // Terminate only this pool's own backends, the way a failover or an admin would.
    const admin = new pg.Client({ connectionString: databaseUrl() });
    await admin.connect();
    onTestFinished(() => admin.end());
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
      [applicationName],
    );
    await waitFor(
      async () =>
        ((await seriesValue(registry, "mcp_pool_errors_total", { pool: "leaky" })) ?? 0) >= 1,
      {
        what: "the pool error to be counted",
      },
    );
  });
});

describe("observing a real @mcp-prod/ratelimit on Redis", () => {
  it("counts each refused call for the limiter, never by key", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    onTestFinished(() => telemetry.close());
    const limiter = createRateLimiter({
      name: "tools",
      points: 1,
      durationSeconds: 60,
      redis: redisClient(),
      keyPrefix: `telemetry-test:${randomUUID()}`,
    });
    telemetry.observeRateLimiter(limiter);
    await limiter.consume("client:acme");
    await expect(limiter.consume("client:acme")).rejects.toThrow();
    await expect(limiter.consume("client:acme")).rejects.toThrow();
    expect(
      await seriesValue(telemetry.registry, "mcp_ratelimit_limited_total", { limiter: "tools" }),
    ).toBe(2);
    expect(await telemetry.metrics()).not.toContain("acme");
  });
});
