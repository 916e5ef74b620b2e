// Replicas sharing a private Redis that is paused (SIGSTOP: it keeps its sockets and answers
// nothing) or killed and restarted, under bounded load: every request is answered within the
// rules (known sessions go on, others get 503 with Retry-After), nothing waits on Redis more
// than once, nothing piles up, and everything is shared again once Redis answers.
import { randomUUID } from "node:crypto";
import { createTelemetry } from "@mcp-prod/telemetry";
import { type PrivateRedis, startRedis, waitFor } from "@mcp-prod/testkit";
import { connectHttp } from "@mcp-prod/testkit/http";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { describe, expect, it, onTestFinished } from "vitest";
import { parseApiKeys } from "./auth.ts";
import { startBalancer } from "./balancer.ts";
import { initialize, post, startBackend } from "./gateway.test-helpers.ts";
import { createGateway, type Gateway } from "./gateway.ts";

const STORE_TIMEOUT_MS = 500;
const KEY = "redis-faults-session-key-0123456789abcdef";

async function world(privateRedis: PrivateRedis, count: number, toolPoints = 10_000) {
  const backend = await startBackend("analytics");
  onTestFinished(() => backend.close());
  const prefix = `faults-${randomUUID()}`;
  const clients: Redis[] = [];
  const gateways: Gateway[] = [];
  for (let index = 0; index < count; index += 1) {
    // As the command connects: no offline queue, one retry per command.
    const redis = new Redis(privateRedis.url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: () => 100,
    });
    redis.on("error", () => {});
    onTestFinished(() => redis.disconnect());
    clients.push(redis);
    const gateway = await createGateway({
      port: 0,
      backends: [{ prefix: "analytics", url: backend.url }],
      redis,
      rateLimitKeyPrefix: prefix,
      rateLimitStoreTimeoutMs: STORE_TIMEOUT_MS,
      sessionKeys: [KEY],
      auth: { apiKeys: parseApiKeys("alice-key=alice:*,bob-key=bob:*") },
      toolRateLimit: { points: toolPoints, durationSeconds: 60 },
      telemetry: createTelemetry({ serviceName: "mcp-gateway", registry: new Registry() }),
    });
    onTestFinished(() => gateway.close());
    gateways.push(gateway);
  }
  return { backend, clients, gateways };
}

/** How many commands wait in an ioredis client: what grows while Redis hangs. */
const queued = (redis: Redis) => {
  const internals = redis as unknown as {
    commandQueue: { length: number };
    offlineQueue: { length: number };
  };
  return internals.commandQueue.length + internals.offlineQueue.length;
};

const ping = (n: number) => ({ name: "analytics.ping", arguments: { n } });

describe("a paused Redis (SIGSTOP)", () => {
  it("costs one store timeout, then calls are answered at once with nothing piling up; after SIGCONT limits are shared again", async () => {
    const privateRedis = await startRedis();
    onTestFinished(() => privateRedis.stop());
    const { clients, gateways } = await world(privateRedis, 2, 10);
    const [first, second] = gateways as [Gateway, Gateway];
    const alice = await connectHttp(`${first.url}/mcp`, {
      headers: { authorization: "Bearer alice-key" },
    });
    onTestFinished(alice.close);
    expect((await alice.client.callTool(ping(0))).isError).toBeFalsy();

    privateRedis.pause();
    onTestFinished(() => privateRedis.resume());
    const durations: number[] = [];
    for (let index = 1; index <= 8; index += 1) {
      const startedAt = performance.now();
      // Past its limit or not, every call is answered (counted by this replica alone meanwhile).
      await alice.client.callTool(ping(index));
      durations.push(performance.now() - startedAt);
    }
    // The call that noticed waited one store timeout; every later one was decided at once.
    expect(durations[0]).toBeLessThan(STORE_TIMEOUT_MS + 2000);
    for (const duration of durations.slice(1)) expect(duration).toBeLessThan(1000);
    // A session no replica knows cannot be read now: 503, at once.
    const unknown = await post(second.url, { authorization: "Bearer bob-key" }, initialize);
    expect(unknown.status).toBe(503);
    expect(unknown.retryAfter).not.toBeNull();
    const ready = await fetch(`${first.url}/health/ready`);
    expect(
      ((await ready.json()) as { checks: Record<string, { status: string }> }).checks[
        "session-store"
      ]?.status,
    ).not.toBe("healthy");
    // Nothing piles up in the clients' queues while Redis hangs.
    for (const redis of clients) expect(queued(redis)).toBeLessThanOrEqual(4);

    privateRedis.resume();
    await waitFor(
      async () =>
        (await post(second.url, { authorization: "Bearer bob-key" }, initialize)).status === 200,
      {
        what: "Redis to be used again",
      },
    );
    // Bob's budget of 10 is shared by both replicas again.
    const bobs = await Promise.all(
      gateways.map((gateway) =>
        connectHttp(`${gateway.url}/mcp`, { headers: { authorization: "Bearer bob-key" } }),
      ),
    );
    for (const bob of bobs) onTestFinished(bob.close);
    const outcomes = [];
    for (let index = 0; index < 12; index += 1) {
      const result = await (bobs[index % 2] as (typeof bobs)[number]).client.callTool(ping(index));
      outcomes.push(result.isError ? "limited" : "ok");
    }
    expect(outcomes.filter((outcome) => outcome === "ok")).toHaveLength(10);
  });
});

describe("a Redis killed and restarted under load", () => {
  it("keeps known sessions going, answers the others 503 with Retry-After, never hangs, and heals", async () => {
    const privateRedis = await startRedis();
    onTestFinished(() => privateRedis.stop());
    const { gateways } = await world(privateRedis, 3);
    const balancer = await startBalancer({ targets: gateways.map((gateway) => gateway.url) });
    onTestFinished(() => balancer.close());
    const alice = await connectHttp(`${balancer.url}/mcp`, {
      headers: { authorization: "Bearer alice-key" },
    });
    onTestFinished(alice.close);
    const id = alice.sessionId();
    // Every replica has served the session once, so each knows it.
    for (let index = 0; index < 3; index += 1) await alice.client.callTool(ping(index));

    let stop = false;
    const statuses: number[] = [];
    const load = (async () => {
      // Bounded load: new sessions asked for one after another, each answered before the next.
      while (!stop) {
        const response = await post(balancer.url, { authorization: "Bearer bob-key" }, initialize);
        statuses.push(response.status);
        if (response.status === 503) expect(response.retryAfter).not.toBeNull();
      }
    })();
    await privateRedis.kill();
    for (let index = 0; index < 9; index += 1)
      expect((await alice.client.callTool(ping(10 + index))).isError).toBeFalsy();
    await waitFor(() => statuses.includes(503), { what: "a new session to be refused with 503" });
    await privateRedis.restart();
    const healedAt = statuses.length;
    await waitFor(() => statuses.slice(healedAt).includes(200), { what: "new sessions again" });
    stop = true;
    await load;
    expect(new Set(statuses)).toEqual(new Set([200, 503]));
    // The session lived through it, records written back from the replicas that served it.
    for (let index = 0; index < 3; index += 1)
      expect((await alice.client.callTool(ping(20 + index))).isError).toBeFalsy();
    expect(alice.sessionId()).toBe(id);
  });
});
