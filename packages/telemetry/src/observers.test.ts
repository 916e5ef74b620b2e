import { EventEmitter } from "node:events";
import { Emitter } from "@mcp-prod/internal";
import { describe, expect, it } from "vitest";
import { TelemetryError } from "./errors.ts";
import type {
  BreakerEvents,
  CacheEvents,
  PoolEvents,
  RateLimiterEvents,
} from "./observed-contracts.ts";
import { parseExposition, sampleValue, seriesValue } from "./telemetry.test-helpers.ts";
import { createTelemetry } from "./telemetry.ts";

// Objects honouring the CONTRIBUTING.md event contracts, built on the same
// Emitter the real packages use, driven the way the real ones emit.
type State = "closed" | "open" | "halfOpen";

function contractBreaker(name: string) {
  const events = new Emitter<BreakerEvents>();
  let state: State = "closed";
  let failures = 0;
  const move = (to: State) => {
    const from = state;
    state = to;
    events.emit("stateChange", { from, to });
    events.emit(to === "closed" ? "close" : to);
  };
  return {
    name,
    on: events.on.bind(events),
    listeners: () => events.listenerCount(),
    stats: () => ({
      state,
      successes: 0,
      failures,
      rejects: 0,
      timeouts: 0,
      latencyMean: 0,
      latencyP99: 0,
    }),
    succeed: () => events.emit("success", { latencyMs: 3 }),
    fail: () => {
      failures += 1;
      events.emit("failure", { error: new Error("upstream 503 for user 42"), latencyMs: 5 });
      if (failures >= 2 && state === "closed") move("open");
    },
    timeout: () => events.emit("timeout", { latencyMs: 1000 }),
    reject: () => events.emit("reject"),
    move,
  };
}

function contractCache(name: string) {
  const events = new Emitter<CacheEvents>();
  return { name, on: events.on.bind(events), events, listeners: () => events.listenerCount() };
}

function contractPool(name: string) {
  const events = new Emitter<PoolEvents>();
  const stats = {
    total: 4,
    idle: 1,
    waiting: 2,
    max: 10,
    checkedOut: 3,
    errors: 0,
    acquireP50Ms: 0,
    acquireP99Ms: 0,
  };
  return {
    name,
    on: events.on.bind(events),
    stats: () => stats,
    current: stats,
    events,
    listeners: () => events.listenerCount(),
  };
}

function contractLimiter(name: string) {
  const events = new Emitter<RateLimiterEvents>();
  return { name, on: events.on.bind(events), events, listeners: () => events.listenerCount() };
}

describe("observeBreaker", () => {
  it("reports the state the breaker is in and counts transitions, results, rejects and timeouts", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    const breaker = contractBreaker("weather-api");
    telemetry.observeBreaker(breaker);
    const { registry } = telemetry;
    const state = (value: string) =>
      seriesValue(registry, "mcp_breaker_state", { breaker: "weather-api", state: value });

    expect([await state("closed"), await state("open"), await state("halfOpen")]).toEqual([
      1, 0, 0,
    ]);
    breaker.succeed();
    breaker.fail();
    breaker.fail();
    breaker.reject();
    breaker.reject();
    breaker.timeout();
    expect([await state("closed"), await state("open"), await state("halfOpen")]).toEqual([
      0, 1, 0,
    ]);
    expect(
      await seriesValue(registry, "mcp_breaker_transitions_total", {
        breaker: "weather-api",
        from: "closed",
        to: "open",
      }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_breaker_calls_total", {
        breaker: "weather-api",
        result: "success",
      }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_breaker_calls_total", {
        breaker: "weather-api",
        result: "failure",
      }),
    ).toBe(2);
    expect(
      await seriesValue(registry, "mcp_breaker_rejects_total", { breaker: "weather-api" }),
    ).toBe(2);
    expect(
      await seriesValue(registry, "mcp_breaker_timeouts_total", { breaker: "weather-api" }),
    ).toBe(1);
    breaker.move("halfOpen");
    expect(await state("halfOpen")).toBe(1);
    // The failure's message never becomes a label.
    expect(await telemetry.metrics()).not.toContain("upstream 503");
  });

  it("labels a state outside the contract as other instead of growing a series per value", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    const breaker = contractBreaker("b");
    telemetry.observeBreaker(breaker);
    breaker.move("forced-open-by-admin" as State);
    expect(
      await seriesValue(telemetry.registry, "mcp_breaker_transitions_total", {
        breaker: "b",
        from: "closed",
        to: "other",
      }),
    ).toBe(1);
  });

  it("stops counting and drops the state gauge once the returned remover is called", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    const breaker = contractBreaker("b");
    const stop = telemetry.observeBreaker(breaker);
    breaker.reject();
    stop();
    breaker.reject();
    expect(breaker.listeners()).toBe(0);
    expect(
      await seriesValue(telemetry.registry, "mcp_breaker_rejects_total", { breaker: "b" }),
    ).toBe(1);
    expect(
      await seriesValue(telemetry.registry, "mcp_breaker_state", { breaker: "b", state: "closed" }),
    ).toBeUndefined();
  });

  it("observes one object once however often it is passed, and refuses a second object with the same name", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    const breaker = contractBreaker("b");
    const first = telemetry.observeBreaker(breaker);
    expect(telemetry.observeBreaker(breaker)).toBe(first);
    breaker.reject();
    expect(
      await seriesValue(telemetry.registry, "mcp_breaker_rejects_total", { breaker: "b" }),
    ).toBe(1);
    let caught: unknown;
    try {
      telemetry.observeBreaker(contractBreaker("b"));
    } catch (error) {
      caught = error;
    }
    expect(TelemetryError.isInstance(caught)).toBe(true);
    expect((caught as TelemetryError).code).toBe("EDUPLICATENAME");
  });

  it("skips a breaker whose stats() throws rather than failing the whole scrape", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    const broken = {
      ...contractBreaker("broken"),
      stats: () => {
        throw new Error("nope");
      },
    };
    telemetry.observeBreaker(broken);
    telemetry.observeBreaker(contractBreaker("fine"));
    const families = parseExposition(await telemetry.metrics());
    expect(sampleValue(families, "mcp_breaker_state", { breaker: "fine", state: "closed" })).toBe(
      1,
    );
    expect(
      sampleValue(families, "mcp_breaker_state", { breaker: "broken", state: "closed" }),
    ).toBeUndefined();
  });

  it("validates the observed object's shape with a TypeError naming the field", () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    expect(() => telemetry.observeBreaker({ ...contractBreaker("b"), name: "" })).toThrow(
      "`breaker.name`",
    );
    expect(() => telemetry.observeBreaker({ name: "b", on: () => () => {} } as never)).toThrow(
      "`breaker.stats`",
    );
    expect(() => telemetry.observeCache({ name: "c" } as never)).toThrow("`cache.on`");
  });
});

describe("observeCache", () => {
  it("counts hits and misses per tier, stale serves and errors by operation, never by key", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    const cache = contractCache("users");
    telemetry.observeCache(cache);
    cache.events.emit("miss", { key: "user:alice@example.com", tier: "l1" });
    cache.events.emit("hit", { key: "user:alice@example.com", tier: "l2" });
    cache.events.emit("hit", { key: "user:bob@example.com", tier: "l1" });
    cache.events.emit("hit", { key: "user:bob@example.com", tier: "l1" });
    cache.events.emit("stale", { key: "user:carol@example.com" });
    cache.events.emit("error", {
      operation: "get",
      error: new Error("ECONNREFUSED 127.0.0.1:6379"),
    });
    const { registry } = telemetry;
    expect(
      await seriesValue(registry, "mcp_cache_hits_total", { cache: "users", tier: "l1" }),
    ).toBe(2);
    expect(
      await seriesValue(registry, "mcp_cache_hits_total", { cache: "users", tier: "l2" }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_cache_misses_total", { cache: "users", tier: "l1" }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_cache_misses_total", { cache: "users", tier: "l2" }),
    ).toBe(0);
    expect(await seriesValue(registry, "mcp_cache_stale_served_total", { cache: "users" })).toBe(1);
    expect(
      await seriesValue(registry, "mcp_cache_errors_total", { cache: "users", operation: "get" }),
    ).toBe(1);
    const text = await telemetry.metrics();
    expect(text).not.toContain("example.com");
    expect(text).not.toContain("ECONNREFUSED");
  });

  it("bounds the operation label: free-form values and values past the limit become other", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    // A cache of the same shape whose operations are free-form strings.
    const events = new Emitter<{ error: (event: { operation: string; error: unknown }) => void }>();
    telemetry.observeCache({ name: "c", on: events.on.bind(events) });
    events.emit("error", { operation: "GET user:42 failed", error: new Error("x") });
    for (let index = 0; index < 40; index += 1)
      events.emit("error", { operation: `op${index}`, error: new Error("x") });
    const families = parseExposition(await telemetry.metrics());
    const series = families.get("mcp_cache_errors_total")?.samples ?? [];
    expect(series.length).toBeLessThanOrEqual(17);
    expect(
      sampleValue(families, "mcp_cache_errors_total", { cache: "c", operation: "other" }),
    ).toBe(1 + 40 - 16);
  });
});

describe("observePool", () => {
  it("reads total, idle, waiting and max from stats() at scrape time and counts acquire waits, errors and leaks", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    const pool = contractPool("primary");
    telemetry.observePool(pool);
    pool.events.emit("acquire", { waitMs: 0.4 });
    pool.events.emit("acquire", { waitMs: 30 });
    pool.events.emit("acquire", { waitMs: 2500 });
    pool.events.emit("error", { error: new Error("connection terminated") });
    pool.events.emit("leak", { checkedOutMs: 60_000, stack: "at handler (server.ts:10)" });
    const { registry } = telemetry;
    expect(await seriesValue(registry, "mcp_pool_connections", { pool: "primary" })).toBe(4);
    expect(await seriesValue(registry, "mcp_pool_idle_connections", { pool: "primary" })).toBe(1);
    expect(await seriesValue(registry, "mcp_pool_waiting_requests", { pool: "primary" })).toBe(2);
    expect(await seriesValue(registry, "mcp_pool_max_connections", { pool: "primary" })).toBe(10);
    pool.current.idle = 3;
    expect(await seriesValue(registry, "mcp_pool_idle_connections", { pool: "primary" })).toBe(3);
    expect(await seriesValue(registry, "mcp_pool_acquire_seconds_count", { pool: "primary" })).toBe(
      3,
    );
    expect(
      await seriesValue(registry, "mcp_pool_acquire_seconds_bucket", {
        pool: "primary",
        le: "0.001",
      }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_pool_acquire_seconds_bucket", {
        pool: "primary",
        le: "0.05",
      }),
    ).toBe(2);
    expect(
      await seriesValue(registry, "mcp_pool_acquire_seconds_sum", { pool: "primary" }),
    ).toBeCloseTo(2.5304, 6);
    expect(await seriesValue(registry, "mcp_pool_errors_total", { pool: "primary" })).toBe(1);
    expect(await seriesValue(registry, "mcp_pool_leaks_total", { pool: "primary" })).toBe(1);
    expect(await telemetry.metrics()).not.toContain("server.ts");
  });
});

describe("observeRateLimiter", () => {
  it("counts limited calls and backend errors per limiter, never by key", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    const limiter = contractLimiter("per-client");
    telemetry.observeRateLimiter(limiter);
    limiter.events.emit("limited", { key: "client:acme", retryAfterMs: 1000 });
    limiter.events.emit("limited", { key: "client:globex", retryAfterMs: 500 });
    limiter.events.emit("error", { error: new Error("redis down") });
    expect(
      await seriesValue(telemetry.registry, "mcp_ratelimit_limited_total", {
        limiter: "per-client",
      }),
    ).toBe(2);
    expect(
      await seriesValue(telemetry.registry, "mcp_ratelimit_errors_total", {
        limiter: "per-client",
      }),
    ).toBe(1);
    expect(await telemetry.metrics()).not.toContain("acme");
  });
});

describe("observers and the telemetry lifecycle", () => {
  it("close() removes every listener it added", () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    const breaker = contractBreaker("b");
    const cache = contractCache("c");
    const pool = contractPool("p");
    const limiter = contractLimiter("l");
    telemetry.observeBreaker(breaker);
    telemetry.observeCache(cache);
    telemetry.observePool(pool);
    telemetry.observeRateLimiter(limiter);
    expect(
      breaker.listeners() + cache.listeners() + pool.listeners() + limiter.listeners(),
    ).toBeGreaterThan(0);
    telemetry.close();
    expect([breaker.listeners(), cache.listeners(), pool.listeners(), limiter.listeners()]).toEqual(
      [0, 0, 0, 0],
    );
  });

  it("works with an EventEmitter-style object whose on() returns itself, removing listeners with off()", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    const emitter = new EventEmitter();
    const limiter = Object.assign(emitter, { name: "legacy" });
    const stop = telemetry.observeRateLimiter(limiter);
    emitter.emit("limited", { key: "k", retryAfterMs: 1 });
    stop();
    expect(emitter.listenerCount("limited")).toBe(0);
    expect(
      await seriesValue(telemetry.registry, "mcp_ratelimit_limited_total", { limiter: "legacy" }),
    ).toBe(1);
  });

  it("adds no listener and no metric when disabled", async () => {
    const telemetry = createTelemetry({ serviceName: "svc", enabled: false });
    const breaker = contractBreaker("b");
    telemetry.observeBreaker(breaker);
    expect(breaker.listeners()).toBe(0);
    expect(await telemetry.metrics()).not.toContain("mcp_breaker");
  });

  it("registers a kind's metric families only once something of that kind is observed", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    expect(await telemetry.metrics()).not.toContain("mcp_cache_");
    telemetry.observeCache(contractCache("c"));
    expect(await telemetry.metrics()).toContain("mcp_cache_hits_total");
    expect(await telemetry.metrics()).not.toContain("mcp_pool_");
  });
});
