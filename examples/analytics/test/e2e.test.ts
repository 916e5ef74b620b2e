import { randomUUID } from "node:crypto";
import { redisUrl, startRedis, waitFor } from "@mcp-prod/testkit";
import {
  call,
  connectClient,
  get,
  postMcp,
  type RunningExample,
  startExample,
} from "@mcp-prod-examples/kit/testing";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstream, type Upstream } from "../upstream/server.ts";

const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

type Report = { metric: string; days: number; total: number };

describe("analytics-mcp with a flaky upstream", () => {
  let upstream: Upstream;
  let server: RunningExample;
  let client: Client;
  const prefix = `e2e-analytics-${randomUUID()}:`;

  beforeAll(async () => {
    upstream = await startUpstream();
    cleanup.push(() => upstream.close());
    server = await startExample("analytics", {
      API_BASE_URL: upstream.url,
      REDIS_URL: redisUrl(),
      CACHE_PREFIX: prefix,
      BREAKER_RESET_TIMEOUT_MS: "1500",
    });
    cleanup.push(() => server.stop());
    cleanup.push(async () => {
      const redis = new Redis(redisUrl());
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    });
    client = await connectClient(server.url);
    cleanup.push(() => client.close());
  });

  it("answers its tools from the upstream, then from the cache", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(["get_report", "list_metrics"]);
    expect(JSON.parse((await call(client, "list_metrics")).text).metrics).toContain("revenue");
    const first = await call(client, "get_report", { metric: "revenue", days: 3 });
    const report = JSON.parse(first.text) as Report;
    expect(report).toMatchObject({ metric: "revenue", days: 3 });
    const requests = upstream.requests;
    const second = await call(client, "get_report", { metric: "revenue", days: 3 });
    expect(JSON.parse(second.text)).toEqual(report);
    expect(upstream.requests).toBe(requests);
    expect(second._meta?.["mcp-prod/cache"]).toMatchObject({ hit: true });
  });

  it("refuses a rebound Host (DNS rebinding) and answers the loopback one", async () => {
    const listMetrics = {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "list_metrics", arguments: {} },
    };
    const rebound = await postMcp(server.url, listMetrics, {
      host: "evil.example.com",
      origin: "http://evil.example.com",
    });
    expect(rebound.status).toBe(403);
    const local = await postMcp(server.url, listMetrics, {
      host: `127.0.0.1:${new URL(server.url).port}`,
    });
    expect(local.status).toBe(200);
    expect(local.text).toContain("revenue");
  });

  it("rejects bad input with a readable isError result", async () => {
    const result = await call(client, "get_report", { metric: "weather", days: 3 });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/metric/);
  });

  it("opens the breaker when the upstream fails, serves the last good value marked degraded, and closes again on recovery", async () => {
    const good = JSON.parse(
      (await call(client, "get_report", { metric: "signups", days: 2 })).text,
    ) as Report;
    upstream.setKnobs({ failureRate: 1 });
    // Distinct keys miss the cache, so each reaches the failing upstream until the breaker opens.
    for (let days = 10; days < 16; days += 1)
      await call(client, "get_report", { metric: "churn", days });
    const breakerOpen = async () =>
      /mcp_breaker_state\{breaker="upstream",state="open"\} 1/.test(
        (await get(`${server.url}/metrics`)).text,
      );
    expect(await breakerOpen()).toBe(true);
    expect((await get(`${server.url}/health`)).body).toMatchObject({
      status: "degraded",
      checks: { breaker: "unhealthy" },
    });
    const before = upstream.requests;
    // The breaker sits outside the cache, so while it is open only the fallback's last good value answers.
    const degraded = await call(client, "get_report", { metric: "signups", days: 2 });
    expect(degraded.isError).toBeFalsy();
    expect(JSON.parse(degraded.text)).toEqual(good);
    expect(degraded._meta?.["mcp-prod/fallback"]).toMatchObject({ degraded: true });
    const nothing = await call(client, "get_report", { metric: "active_users", days: 60 });
    expect(nothing).toMatchObject({ isError: true, text: "Service temporarily unavailable" });
    expect(upstream.requests).toBe(before);

    upstream.setKnobs({ failureRate: 0 });
    await waitFor(
      async () => {
        const fresh = await call(client, "get_report", { metric: "active_users", days: 61 });
        return !fresh.isError && fresh._meta?.["mcp-prod/fallback"] === undefined;
      },
      { timeoutMs: 15_000, intervalMs: 300, what: "the breaker to close" },
    );
    expect(await breakerOpen()).toBe(false);
    expect(
      /mcp_breaker_state\{breaker="upstream",state="closed"\} 1/.test(
        (await get(`${server.url}/metrics`)).text,
      ),
    ).toBe(true);
  });
});

describe("analytics-mcp when Redis dies", () => {
  it("keeps answering its tools", async () => {
    const upstream = await startUpstream();
    const redis = await startRedis();
    cleanup.push(
      () => upstream.close(),
      () => redis.stop(),
    );
    const server = await startExample("analytics", {
      API_BASE_URL: upstream.url,
      REDIS_URL: redis.url,
    });
    cleanup.push(() => server.stop());
    const client = await connectClient(server.url);
    cleanup.push(() => client.close());
    expect((await call(client, "get_report", { metric: "revenue", days: 5 })).isError).toBeFalsy();
    await redis.kill();
    for (const days of [5, 6, 7]) {
      const result = await call(client, "get_report", { metric: "revenue", days });
      expect(result.isError).toBeFalsy();
      expect(JSON.parse(result.text)).toMatchObject({ metric: "revenue", days });
    }
    expect((await get(`${server.url}/health/ready`)).status).toBe(200);
  });
});

describe("analytics-mcp graceful shutdown", () => {
  it("drains on SIGTERM: readiness turns 503, the slow call in flight completes, the process exits 0", async () => {
    const upstream = await startUpstream({ latencyMs: 1500 });
    cleanup.push(() => upstream.close());
    const server = await startExample("analytics", {
      API_BASE_URL: upstream.url,
      SHUTDOWN_DRAIN_MS: "1000",
      API_TIMEOUT_MS: "10000",
    });
    const client = await connectClient(server.url);
    expect((await get(`${server.url}/health/ready`)).status).toBe(200);
    const inFlight = call(client, "get_report", { metric: "churn", days: 4 });
    await waitFor(() => upstream.requests > 0, { what: "the call to reach the upstream" });
    server.child.kill("SIGTERM");
    await waitFor(async () => (await get(`${server.url}/health/ready`)).status === 503, {
      what: "readiness to turn 503",
    });
    expect((await get(`${server.url}/health/live`)).status).toBe(200);
    const result = await inFlight;
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(result.text)).toMatchObject({ metric: "churn", days: 4 });
    expect(await server.exited).toBe(0);
    await client.close().catch(() => {});
  });
});

describe("analytics-mcp with ALLOWED_HOSTS and ALLOWED_ORIGINS", () => {
  it("answers the listed name and origin besides loopback, and refuses the rest", async () => {
    const upstream = await startUpstream();
    cleanup.push(() => upstream.close());
    const server = await startExample("analytics", {
      API_BASE_URL: upstream.url,
      ALLOWED_HOSTS: "analytics, analytics.internal.example",
      ALLOWED_ORIGINS: "https://app.example.com",
    });
    cleanup.push(() => server.stop());
    const port = new URL(server.url).port;
    const ping = { jsonrpc: "2.0", id: 1, method: "ping" };
    const status = async (headers: Record<string, string>) =>
      (await postMcp(server.url, ping, headers)).status;
    expect(await status({ host: `analytics:${port}` })).toBe(200);
    expect(await status({ host: "analytics.internal.example" })).toBe(200);
    expect(await status({ host: `analytics:${port}`, origin: "https://app.example.com" })).toBe(
      200,
    );
    expect(await status({ host: `analytics:${port}`, origin: "https://other.example.com" })).toBe(
      403,
    );
    expect(await status({ host: "evil.example.com" })).toBe(403);
  });
});
