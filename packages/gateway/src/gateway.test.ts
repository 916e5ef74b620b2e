import { randomUUID } from "node:crypto";
import { createTelemetry } from "@mcp-prod/telemetry";
import { redisUrl, startRedis, waitFor } from "@mcp-prod/testkit";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { parseApiKeys } from "./auth.ts";
import {
  call,
  callWhoami,
  connectClient,
  get,
  initialize,
  post,
  startBackend,
  startIssuer,
  type TestBackend,
} from "./gateway.test-helpers.ts";
import { createGateway, type Gateway, type GatewayOptions } from "./gateway.ts";

type Issuer = Awaited<ReturnType<typeof startIssuer>>;

/** A gateway in front of both backends, trusting `issuer`; the caller closes it. */
function openGateway(
  backends: { users: TestBackend; analytics: TestBackend },
  issuer: Issuer,
  overrides: Partial<GatewayOptions> = {},
): Promise<Gateway> {
  return createGateway({
    host: "127.0.0.1",
    port: 0,
    backends: [
      { prefix: "users", url: backends.users.url },
      { prefix: "analytics", url: backends.analytics.url },
    ],
    auth: {
      issuer: issuer.issuer,
      audience: "mcp-gateway",
      apiKeys: parseApiKeys("service-key=billing-service:*,analytics-key=reporter:analytics"),
    },
    telemetry: createTelemetry({ serviceName: "mcp-gateway", registry: new Registry() }),
    toolRateLimit: { points: 1000, durationSeconds: 60 },
    requestRateLimit: { points: 10_000, durationSeconds: 60 },
    rateLimitKeyPrefix: `test-${randomUUID()}`,
    breaker: { resetTimeout: 300, volumeThreshold: 2 },
    ...overrides,
  });
}

/** {@link openGateway}, closed when the test ends. */
async function gatewayFor(...args: Parameters<typeof openGateway>): Promise<Gateway> {
  const gateway = await openGateway(...args);
  onTestFinished(() => gateway.close());
  return gateway;
}

/** A fresh issuer and both backends; `close()` closes them. */
async function openWorld() {
  const issuer = await startIssuer();
  const users = await startBackend("users");
  const analytics = await startBackend("analytics");
  const close = async () => {
    await analytics.close();
    await users.close();
    await issuer.close();
  };
  return { issuer, users, analytics, close };
}

/** {@link openWorld}, closed when the test ends. */
async function startWorld() {
  const world = await openWorld();
  onTestFinished(world.close);
  return world;
}

describe("gateway", () => {
  let issuer: Issuer;
  let users: TestBackend;
  let gateway: Gateway;

  // Shared by the suite's tests: closed when they are done.
  beforeAll(async () => {
    const world = await openWorld();
    issuer = world.issuer;
    users = world.users;
    gateway = await openGateway(world, issuer);
    return async () => {
      await gateway.close();
      await world.close();
    };
  });

  it("lists the tools of both backends under their prefixes and forwards calls", async () => {
    const client = await connectClient(gateway.url, { authorization: "Bearer service-key" });
    onTestFinished(() => client.close());
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      "analytics.ping",
      "users.slow",
      "users.whoami",
    ]);
    expect((await call(client, "analytics.ping", { n: 7 })).text).toBe("pong 7");
    expect(JSON.parse((await call(client, "users.whoami")).text)).toEqual({
      clientId: "billing-service",
      scopes: ["*"],
    });
  });

  it("hands the verified JWT identity to the backend as authInfo", async () => {
    const token = await issuer.token({
      scope: "users analytics",
      client_id: "claude-desktop",
      sub: "user-42",
    });
    const client = await connectClient(gateway.url, { authorization: `Bearer ${token}` });
    onTestFinished(() => client.close());
    const result = await call(client, "users.whoami");
    expect(JSON.parse(result.text)).toEqual({
      clientId: "claude-desktop",
      scopes: ["users", "analytics"],
    });
    expect(users.record.identities.at(-1)?.extra).toMatchObject({
      subject: "user-42",
      via: "gateway",
    });
  });

  it("answers 401 with WWW-Authenticate for a missing, expired, foreign, wrong-issuer or wrong-audience token, and the backend sees no call", async () => {
    const before = users.record.calls;
    const cases: [string, Record<string, string>, RegExp][] = [
      ["no token", {}, /^Bearer realm="mcp-gateway"$/],
      ["unknown API key", { authorization: "Bearer nope" }, /error="invalid_token"/],
      [
        "expired",
        {
          authorization: `Bearer ${await issuer.token({ scope: "*" }, { expiresIn: Math.floor(Date.now() / 1000) - 60 })}`,
        },
        /token expired/,
      ],
      [
        "wrong issuer",
        {
          authorization: `Bearer ${await issuer.token({ scope: "*" }, { issuer: "http://127.0.0.1:1/other" })}`,
        },
        /iss/,
      ],
      [
        "wrong audience",
        {
          authorization: `Bearer ${await issuer.token({ scope: "*" }, { audience: "someone-else" })}`,
        },
        /aud/,
      ],
      [
        "signed by another key",
        { authorization: `Bearer ${await issuer.token({ scope: "*" }, { foreignKey: true })}` },
        /could not be verified/,
      ],
    ];
    for (const [label, headers, header] of cases) {
      const response = await post(gateway.url, headers, callWhoami);
      expect(response.status, label).toBe(401);
      expect(response.wwwAuthenticate, label).toMatch(header);
    }
    expect(users.record.calls).toBe(before);
  });

  it("answers 403 insufficient_scope when a valid token lacks the tool's scope, before the backend", async () => {
    const before = users.record.calls;
    const token = await issuer.token({ scope: "analytics", client_id: "reporter" });
    const response = await post(gateway.url, { authorization: `Bearer ${token}` }, callWhoami);
    expect(response.status).toBe(403);
    expect(response.wwwAuthenticate).toMatch(/error="insufficient_scope", scope="users"/);
    expect(users.record.calls).toBe(before);
    // The same client still reaches what it is allowed, and only sees those tools.
    const client = await connectClient(gateway.url, { authorization: "Bearer analytics-key" });
    onTestFinished(() => client.close());
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(["analytics.ping"]);
  });

  it("forwards progress, and a client's cancellation reaches the backend handler's signal", async () => {
    const client = await connectClient(gateway.url, { authorization: "Bearer service-key" });
    onTestFinished(() => client.close());
    const controller = new AbortController();
    const progress: number[] = [];
    const started = users.record.started;
    const cancelled = users.record.cancelled;
    const pending = client.callTool({ name: "users.slow", arguments: { steps: 2 } }, undefined, {
      signal: controller.signal,
      onprogress: (update) => progress.push(update.progress),
    });
    await waitFor(() => progress.length === 2, { what: "progress from the backend" });
    expect(users.record.started).toBe(started + 1);
    controller.abort(new Error("user pressed stop"));
    await expect(pending).rejects.toThrow("user pressed stop");
    await waitFor(() => users.record.cancelled === cancelled + 1, {
      what: "the backend to see the cancellation",
    });
    expect(progress).toEqual([1, 2]);
  });

  it("rejects a body over the size limit with 413 and sets security headers", async () => {
    const response = await fetch(`${gateway.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: "Bearer service-key",
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ ...initialize, padding: "x".repeat(1_100_000) }),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
  });
});

describe("gateway rate limits", () => {
  it("limits one client per tool with an isError a model can act on, leaving another client unaffected", async () => {
    const world = await startWorld();
    const gateway = await gatewayFor(world, world.issuer, {
      toolRateLimit: { points: 3, durationSeconds: 60 },
    });
    const greedy = await connectClient(gateway.url, { authorization: "Bearer service-key" });
    const polite = await connectClient(gateway.url, { authorization: "Bearer analytics-key" });
    onTestFinished(() => greedy.close());
    onTestFinished(() => polite.close());
    const results = [];
    for (let index = 0; index < 4; index += 1)
      results.push(await call(greedy, "analytics.ping", { n: index }));
    expect(results.slice(0, 3).map((result) => result.text)).toEqual([
      "pong 0",
      "pong 1",
      "pong 2",
    ]);
    expect(results[3]?.isError).toBe(true);
    expect(results[3]?.text).toMatch(/rate limit exceeded, retry after \d+ s/i);
    const meta = results[3]?._meta?.["mcp-prod/ratelimit"] as { retryAfterSeconds?: number };
    expect(meta.retryAfterSeconds).toBeGreaterThan(0);
    expect((await call(polite, "analytics.ping", { n: 9 })).text).toBe("pong 9");
    expect(world.analytics.record.calls).toBe(4);
  });

  it("answers 429 with Retry-After once a client exceeds its request rate", async () => {
    const world = await startWorld();
    const gateway = await gatewayFor(world, world.issuer, {
      requestRateLimit: { points: 2, durationSeconds: 60 },
    });
    const statuses = [];
    let retryAfter: string | null = null;
    for (let index = 0; index < 3; index += 1) {
      const response = await post(gateway.url, { authorization: "Bearer service-key" }, initialize);
      statuses.push(response.status);
      retryAfter = response.retryAfter;
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it("two gateway replicas sharing Redis enforce one shared limit", async () => {
    const world = await startWorld();
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    onTestFinished(async () => {
      await redis.quit();
    });
    const shared = {
      redis,
      rateLimitKeyPrefix: `shared-${randomUUID()}`,
      toolRateLimit: { points: 4, durationSeconds: 60 },
    };
    const first = await gatewayFor(world, world.issuer, shared);
    const second = await gatewayFor(world, world.issuer, shared);
    const clients = [
      await connectClient(first.url, { authorization: "Bearer service-key" }),
      await connectClient(second.url, { authorization: "Bearer service-key" }),
    ];
    onTestFinished(async () => {
      await Promise.all(clients.map((client) => client.close()));
    });
    const outcomes = [];
    for (let index = 0; index < 6; index += 1) {
      const client = clients[index % 2] as (typeof clients)[0];
      const result = await call(client, "analytics.ping", { n: index });
      outcomes.push(result.isError ? "limited" : "ok");
    }
    expect(outcomes).toEqual(["ok", "ok", "ok", "ok", "limited", "limited"]);
  });

  it("keeps serving when the shared Redis dies: the limiter fails open per replica", async () => {
    const world = await startWorld();
    const privateRedis = await startRedis();
    const redis = new Redis(privateRedis.url, {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => 100,
    });
    redis.on("error", () => {});
    onTestFinished(() => redis.disconnect());
    onTestFinished(() => privateRedis.stop());
    const gateway = await gatewayFor(world, world.issuer, {
      redis,
      toolRateLimit: { points: 100, durationSeconds: 60 },
    });
    const client = await connectClient(gateway.url, { authorization: "Bearer service-key" });
    onTestFinished(() => client.close());
    expect((await call(client, "analytics.ping", { n: 1 })).text).toBe("pong 1");
    await privateRedis.kill();
    expect((await call(client, "analytics.ping", { n: 2 })).text).toBe("pong 2");
  });
});

describe("gateway resilience", () => {
  it("fails a dead backend's tools fast with the breaker's message while the other serves, reports degraded, and picks the backend up again", async () => {
    const world = await startWorld();
    const gateway = await gatewayFor(world, world.issuer, {
      breaker: { resetTimeout: 2000, volumeThreshold: 2 },
    });
    gateway.health.markReady();
    const client = await connectClient(gateway.url, { authorization: "Bearer service-key" });
    onTestFinished(() => client.close());
    expect((await call(client, "users.whoami")).isError).toBeFalsy();

    await world.users.close();
    const failures = [];
    for (let index = 0; index < 4; index += 1) failures.push(await call(client, "users.whoami"));
    expect(failures.every((result) => result.isError)).toBe(true);
    expect(failures.at(-1)?.text).toBe("Service temporarily unavailable");
    expect((await call(client, "analytics.ping", { n: 3 })).text).toBe("pong 3");
    await waitFor(
      async () => {
        const ready = await get(`${gateway.url}/health/ready`);
        return ready.status === 200 && (ready.body as { status: string }).status === "degraded";
      },
      { what: "readiness to report degraded" },
    );

    const revived = await startBackend("users", { port: world.users.port });
    onTestFinished(() => revived.close());
    await waitFor(async () => !(await call(client, "users.whoami")).isError, {
      timeoutMs: 15_000,
      intervalMs: 200,
      what: "the backend to be picked up again",
    });
    await waitFor(
      async () =>
        ((await get(`${gateway.url}/health/ready`)).body as { status: string }).status ===
        "healthy",
      { what: "readiness to recover" },
    );
  });

  it("starts with a backend that is down and lists its tools once it comes up", async () => {
    const analytics = await startBackend("analytics");
    const probe = await startBackend("users");
    const port = probe.port;
    await probe.close();
    onTestFinished(() => analytics.close());
    const gateway = await createGateway({
      host: "127.0.0.1",
      port: 0,
      backends: [
        { prefix: "users", url: `http://127.0.0.1:${port}/mcp` },
        { prefix: "analytics", url: analytics.url },
      ],
      auth: { apiKeys: parseApiKeys("service-key=svc:*") },
      telemetry: createTelemetry({ serviceName: "mcp-gateway", registry: new Registry() }),
    });
    onTestFinished(() => gateway.close());
    const client = await connectClient(gateway.url, { authorization: "Bearer service-key" });
    onTestFinished(() => client.close());
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(["analytics.ping"]);
    const users = await startBackend("users", { port });
    onTestFinished(() => users.close());
    await waitFor(async () => (await client.listTools()).tools.length === 3, {
      timeoutMs: 15_000,
      intervalMs: 200,
      what: "the late backend's tools",
    });
    expect((await call(client, "users.whoami")).isError).toBeFalsy();
  });
});
