import { breakerRegistry, compose, withBreaker } from "@mcp-prod/breaker";
import { createTcpProxy, databaseUrl, startRedis, waitFor } from "@mcp-prod/testkit";
import Redis from "ioredis";
import pg from "pg";
import { describe, expect, it, onTestFinished } from "vitest";
import { breakerCheck, pgCheck, redisCheck } from "./adapters.ts";
import { createHealth } from "./health.ts";

function statusOf(check: ReturnType<typeof pgCheck>, timeoutMs = 2000) {
  const health = createHealth({ checks: { dependency: check }, cacheMs: 0, timeoutMs });
  onTestFinished(() => health.close());
  return async () => (await health.check()).checks.dependency;
}

describe("pgCheck", () => {
  it("turns unhealthy when PostgreSQL is unreachable and healthy again after", async () => {
    const target = new URL(databaseUrl());
    const proxy = await createTcpProxy({
      host: target.hostname,
      port: Number(target.port || 5432),
    });
    onTestFinished(() => proxy.close());
    const url = new URL(databaseUrl());
    url.hostname = "127.0.0.1";
    url.port = String(proxy.port);
    const pool = new pg.Pool({ connectionString: url.href, max: 2, connectionTimeoutMillis: 1000 });
    pool.on("error", () => {});
    onTestFinished(() => pool.end());
    const status = statusOf(pgCheck(pool));

    expect(await status()).toMatchObject({ status: "healthy" });
    proxy.down();
    const down = await status();
    expect(down).toMatchObject({ status: "unhealthy", reason: "error" });
    proxy.up();
    await waitFor(async () => (await status())?.status === "healthy", { what: "pg healthy" });
    expect(await status()).toMatchObject({ status: "healthy" });
  });

  it("runs the given query and reports its error", async () => {
    const pool = new pg.Pool({ connectionString: databaseUrl(), max: 1 });
    onTestFinished(() => pool.end());
    const seen: string[] = [];
    const spy = {
      query: (text: string) => {
        seen.push(text);
        return pool.query(text);
      },
    };
    expect(await statusOf(pgCheck(spy, { query: "SELECT 2" }))()).toMatchObject({
      status: "healthy",
    });
    expect(seen).toEqual(["SELECT 2"]);
    const broken = await statusOf(pgCheck(pool, { query: "SELECT * FROM no_such_table_health" }))();
    expect(broken?.error).toContain("no_such_table_health");
    expect(() => pgCheck({} as never)).toThrow(/`pool`/);
  });
});

describe("redisCheck", () => {
  it("turns unhealthy at once when Redis is gone and healthy again after it restarts", async () => {
    const redis = await startRedis();
    onTestFinished(() => redis.stop());
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    client.on("error", () => {});
    onTestFinished(() => client.disconnect());
    // A 10 s timeout: the answer must come from the client's state, not from waiting it out.
    const status = statusOf(redisCheck(client), 10_000);

    expect(await status()).toMatchObject({ status: "healthy" });
    await redis.kill();
    await waitFor(() => client.status === "reconnecting", { what: "ioredis reconnecting" });
    expect(await status()).toMatchObject({
      status: "unhealthy",
      reason: "error",
      error: "Redis client is reconnecting",
    });
    await redis.restart();
    await waitFor(() => client.status === "ready", { what: "ioredis ready" });
    expect(await status()).toMatchObject({ status: "healthy" });
  });

  it("is unhealthy when the reply is not PONG or the client says it is not ready", async () => {
    expect(await statusOf(redisCheck({ ping: async () => "NOPE" }))()).toMatchObject({
      status: "unhealthy",
      error: "Redis answered PING with NOPE",
    });
    expect(
      await statusOf(redisCheck({ ping: async () => "PONG", isReady: false }))(),
    ).toMatchObject({ status: "unhealthy", error: "Redis client is not ready" });
  });
});

describe("breakerCheck", () => {
  it("maps stats().state closed / halfOpen / open to healthy / degraded / unhealthy", async () => {
    let state: "closed" | "open" | "halfOpen" = "closed";
    const breaker = { stats: () => ({ state }) };
    const status = statusOf(breakerCheck(breaker));
    expect((await status())?.status).toBe("healthy");
    state = "halfOpen";
    expect((await status())?.status).toBe("degraded");
    state = "open";
    expect((await status())?.status).toBe("unhealthy");
  });

  it("prefers the breaker's own healthCheck(), called on the breaker", async () => {
    class Breaker {
      #state = "degraded" as const;
      healthCheck() {
        return this.#state;
      }
      stats() {
        return { state: "closed" as const };
      }
    }
    expect((await statusOf(breakerCheck(new Breaker()))())?.status).toBe("degraded");
    expect(() => breakerCheck({} as never)).toThrow(/`breaker`/);
  });

  it("reads the breaker compose made for a tool, by name, once it exists", async () => {
    onTestFinished(() => breakerRegistry.clear());
    const status = statusOf(breakerCheck(breakerRegistry, "forecast"));
    // No request has made the breaker yet: nothing has failed.
    expect((await status())?.status).toBe("healthy");
    const forecast = compose(
      "forecast",
      async () => {
        throw new Error("upstream down");
      },
      withBreaker({ consecutiveFailures: 1 }),
    );
    await forecast().catch(() => {});
    expect(breakerRegistry.get("forecast")?.state).toBe("open");
    expect((await status())?.status).toBe("unhealthy");
    expect(() => breakerCheck({} as never, "forecast")).toThrow(/registry/);
  });
});
