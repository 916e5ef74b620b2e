import { createServer } from "node:http";
import Redis from "ioredis";
import pg from "pg";
import { describe, expectTypeOf, it } from "vitest";
import {
  breakerCheck,
  type CheckFunction,
  createHealth,
  type FetchHealthHandler,
  type HealthReport,
  httpCheck,
  pgCheck,
  redisCheck,
} from "./index.ts";

describe("types", () => {
  it("accepts the check shapes users already have", () => {
    const pool = { healthCheck: async (): Promise<"healthy" | "unhealthy"> => "healthy" };
    const cache = {
      healthCheck: async (_options?: { signal?: AbortSignal }) => "degraded" as const,
    };
    createHealth({
      checks: {
        database: pool.healthCheck,
        cache: { check: cache.healthCheck, critical: false },
        plain: async () => {},
        boolean: () => true,
        externalApi: httpCheck("http://127.0.0.1:8080/status", { timeoutMs: 1000 }),
      },
    });
    // @ts-expect-error: a check returns a status, a boolean or nothing
    createHealth({ checks: { wrong: () => 42 } });
  });

  it("adapts real pg, ioredis and breaker objects structurally", () => {
    expectTypeOf(pgCheck(new pg.Pool())).toEqualTypeOf<CheckFunction>();
    expectTypeOf(redisCheck(new Redis({ lazyConnect: true }))).toEqualTypeOf<CheckFunction>();
    expectTypeOf(
      breakerCheck({ stats: () => ({ state: "open" as const }) }),
    ).toEqualTypeOf<CheckFunction>();
    // @ts-expect-error: neither healthCheck() nor stats()
    breakerCheck({ state: "open" });
  });

  it("plugs into node:http and fetch-API frameworks", () => {
    const health = createHealth();
    createServer(health.nodeHandler());
    expectTypeOf(health.fetchHandler()).toEqualTypeOf<FetchHealthHandler>();
    expectTypeOf(health.check()).resolves.toEqualTypeOf<HealthReport>();
    expectTypeOf(health.gracefulShutdown)
      .parameter(0)
      .exclude<undefined>()
      .toHaveProperty("drainMs");
    expectTypeOf(health.gracefulShutdown({ exit: false })()).resolves.toEqualTypeOf<0 | 1>();
  });
});
