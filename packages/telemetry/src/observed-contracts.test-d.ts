import { type BreakerEvents as BreakerPackageEvents, createBreaker } from "@mcp-prod/breaker";
import { type CacheEvents as CachePackageEvents, createCache } from "@mcp-prod/cache";
import { createPool, type PoolEvents as PoolPackageEvents } from "@mcp-prod/pool";
import {
  createRateLimiter,
  type RateLimiterEvents as RateLimiterPackageEvents,
} from "@mcp-prod/ratelimit";
import { describe, expectTypeOf, it } from "vitest";
import type * as observed from "./observed-contracts.ts";
import { createTelemetry } from "./telemetry.ts";

describe("the observed contracts are the packages' own", () => {
  it("accepts a real breaker, cache, pool and rate limiter", () => {
    const breaker = createBreaker(async (city: string) => city, { name: "weather" });
    const cache = createCache({ name: "users" });
    const pool = createPool({ name: "primary" });
    const limiter = createRateLimiter({ name: "tools", points: 1, durationSeconds: 1 });
    expectTypeOf(breaker).toExtend<observed.ObservedBreaker>();
    expectTypeOf(cache).toExtend<observed.ObservedCache>();
    expectTypeOf(pool).toExtend<observed.ObservedPool>();
    expectTypeOf(limiter).toExtend<observed.ObservedRateLimiter>();
    const telemetry = createTelemetry({ serviceName: "svc" });
    expectTypeOf(telemetry.observeBreaker).toBeCallableWith(breaker);
    expectTypeOf(telemetry.observeCache).toBeCallableWith(cache);
    expectTypeOf(telemetry.observePool).toBeCallableWith(pool);
    expectTypeOf(telemetry.observeRateLimiter).toBeCallableWith(limiter);
  });

  it("declares the same event maps the packages export", () => {
    expectTypeOf<observed.BreakerEvents>().toEqualTypeOf<BreakerPackageEvents>();
    expectTypeOf<observed.CacheEvents>().toEqualTypeOf<CachePackageEvents>();
    expectTypeOf<observed.PoolEvents>().toEqualTypeOf<PoolPackageEvents>();
    expectTypeOf<observed.RateLimiterEvents["limited"]>().toEqualTypeOf<
      RateLimiterPackageEvents["limited"]
    >();
  });

  it("passes one object to each breaker and pool listener that gets data", () => {
    expectTypeOf<Parameters<observed.BreakerEvents["success"]>>().toEqualTypeOf<
      [{ readonly latencyMs: number }]
    >();
    expectTypeOf<Parameters<observed.BreakerEvents["failure"]>>().toEqualTypeOf<
      [{ readonly error: unknown; readonly latencyMs: number }]
    >();
    expectTypeOf<Parameters<observed.BreakerEvents["timeout"]>>().toEqualTypeOf<
      [{ readonly latencyMs: number }]
    >();
    expectTypeOf<Parameters<observed.PoolEvents["error"]>>().toEqualTypeOf<
      [{ readonly error: unknown }]
    >();
  });
});
