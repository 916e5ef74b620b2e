// Each test here is an attack on the gateway: it fails on a gateway without the defence.
import { randomUUID } from "node:crypto";
import { createTelemetry } from "@mcp-prod/telemetry";
import { redisUrl } from "@mcp-prod/testkit";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { describe, expect, it, onTestFinished } from "vitest";
import { parseApiKeys } from "./auth.ts";
import {
  call,
  connectClient,
  get,
  post,
  startBackend,
  startIssuer,
} from "./gateway.test-helpers.ts";
import { createGateway, type GatewayOptions } from "./gateway.ts";

async function world(overrides: Partial<GatewayOptions> = {}) {
  const issuer = await startIssuer();
  const users = await startBackend("users");
  const analytics = await startBackend("analytics");
  onTestFinished(() => issuer.close());
  onTestFinished(() => users.close());
  onTestFinished(() => analytics.close());
  const telemetry = createTelemetry({ serviceName: "mcp-gateway", registry: new Registry() });
  const gateway = await createGateway({
    port: 0,
    backends: [
      { prefix: "users", url: users.url },
      { prefix: "analytics", url: analytics.url },
    ],
    auth: { issuer: issuer.issuer, apiKeys: parseApiKeys("service-key=svc-all:*") },
    telemetry,
    rateLimitKeyPrefix: `attack-${randomUUID()}`,
    toolRateLimit: { points: 1000, durationSeconds: 60 },
    requestRateLimit: { points: 100_000, durationSeconds: 60 },
    ...overrides,
  });
  onTestFinished(() => gateway.close());
  return { issuer, users, analytics, gateway, telemetry };
}

const callBody = (name: string, args: unknown = {}, id: number | string = 2) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args },
});

describe("made-up names", () => {
  it("refuses unknown tool names from the last known list while the backend is down, creating no metric series per name", async () => {
    const { users, gateway, telemetry } = await world();
    const client = await connectClient(gateway.url, { authorization: "Bearer service-key" });
    onTestFinished(() => client.close());
    await users.close();
    const linesBefore = (await telemetry.metrics()).split("\n").length;
    for (let index = 0; index < 200; index += 1) {
      const error = await client
        .callTool({ name: `users.made_up_${index}` })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).code).toBe(-32602);
    }
    const metrics = await telemetry.metrics();
    expect(metrics).not.toContain("made_up");
    expect(metrics.split("\n").length).toBe(linesBefore);
    // The known names of the down backend are still listed and still refused only by the breaker.
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain("users.whoami");
  });
});

describe("the breaker counts only backend failures", () => {
  it("stays closed after arguments that fail inside the gateway (deep nesting, numbers that grow when re-serialised)", async () => {
    const { gateway, analytics } = await world({
      breaker: { volumeThreshold: 2, resetTimeout: 60_000 },
      maxBodyBytes: 200_000,
    });
    const client = await connectClient(gateway.url, { authorization: "Bearer service-key" });
    onTestFinished(() => client.close());
    // Built as text: 10 000 levels are past what JSON.stringify can recurse through here.
    const deep = `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"analytics.ping","arguments":{"n":1,"deep":${"[".repeat(10_000)}1${"]".repeat(10_000)}}}}`;
    // 1e20 is 4 characters in the body and 21 once re-serialised.
    const growing = `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"analytics.ping","arguments":{"n":1,"pad":[${Array(35_000).fill("1e20").join(",")}]}}}`;
    expect(growing.length).toBeLessThan(200_000);
    for (let round = 0; round < 5; round += 1) {
      for (const body of [deep, growing]) {
        const response = await fetch(`${gateway.url}/mcp`, {
          method: "POST",
          headers: {
            authorization: "Bearer service-key",
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
          },
          body,
        });
        expect(await response.text()).toContain("-32602");
      }
    }
    expect((await call(client, "analytics.ping", { n: 5 })).text).toBe("pong 5");
    expect(analytics.record.calls).toBe(1);
  });

  it("does not open on a backend's JSON-RPC errors", async () => {
    const { gateway, analytics } = await world({
      breaker: { volumeThreshold: 2, resetTimeout: 60_000 },
    });
    const client = await connectClient(gateway.url, { authorization: "Bearer service-key" });
    onTestFinished(() => client.close());
    for (let round = 0; round < 6; round += 1) {
      // A wrong argument type: the backend answers -32602 (or an isError result), it did not fail.
      await client
        .callTool({ name: "analytics.ping", arguments: { n: "not a number" } })
        .catch(() => {});
    }
    expect((await call(client, "analytics.ping", { n: 6 })).text).toBe("pong 6");
    expect(analytics.record.calls).toBe(1);
  });
});

describe("authentication", () => {
  it("accepts API keys holding = and other base64 characters, and the part before the = is no key", async () => {
    expect(parseApiKeys("c2Vj+/cmV0===padded:*")).toEqual([
      { key: "c2Vj+/cmV0==", clientId: "padded", scopes: ["*"] },
    ]);
    const { gateway: padded } = await world({
      auth: { apiKeys: parseApiKeys("c2Vj+/cmV0===padded:*") },
    });
    const ok = await post(
      padded.url,
      { authorization: "Bearer c2Vj+/cmV0==" },
      callBody("analytics.ping", { n: 1 }),
    );
    expect(ok.status).toBe(200);
    for (const guess of ["c2Vj+/cmV0", "c2Vj+/cmV0="]) {
      expect(
        (await post(padded.url, { authorization: `Bearer ${guess}` }, callBody("analytics.ping")))
          .status,
      ).toBe(401);
    }
  });

  it("refuses a JWT without exp, one older than the maximum age, and one whose identity is empty, with 401", async () => {
    const own = await startIssuer();
    onTestFinished(() => own.close());
    const strict = await createGateway({
      port: 0,
      backends: [{ prefix: "analytics", url: (await startBackend("analytics")).url }],
      auth: { issuer: own.issuer, maxTokenAgeSeconds: 600 },
    });
    onTestFinished(() => strict.close());
    const cases: Array<[string, string]> = [
      ["no exp", await own.token({ client_id: "c", scope: "*" }, { expiresIn: null })],
      [
        "too old",
        await own.token(
          { client_id: "c", scope: "*" },
          { issuedAt: Math.floor(Date.now() / 1000) - 3600, expiresIn: "2h" },
        ),
      ],
      ["empty client_id", await own.token({ client_id: "", scope: "*" })],
      ["blank sub", await own.token({ sub: "  ", scope: "*" })],
    ];
    for (const [label, token] of cases) {
      const response = await post(
        strict.url,
        { authorization: `Bearer ${token}` },
        callBody("analytics.ping", { n: 1 }),
      );
      expect(response.status, label).toBe(401);
      expect(response.text, label).not.toMatch(/Cannot|TypeError|undefined/);
    }
    const fine = await own.token({ client_id: "c", scope: "*" });
    expect(
      (
        await post(
          strict.url,
          { authorization: `bearer ${fine}` },
          callBody("analytics.ping", { n: 1 }),
        )
      ).status,
    ).toBe(200);
  });

  it("hands Unicode identities to the backend intact", async () => {
    const { issuer, users, gateway } = await world();
    const token = await issuer.token({ client_id: "zoë-日本-🚀", sub: "Ωmega", scope: "*" });
    const client = await connectClient(gateway.url, { authorization: `Bearer ${token}` });
    onTestFinished(() => client.close());
    const result = await call(client, "users.whoami");
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(result.text).clientId).toBe("zoë-日本-🚀");
    expect(users.record.identities.at(-1)?.extra?.subject).toBe("Ωmega");
  });

  it("accepts the Bearer scheme in any case", async () => {
    const { gateway } = await world();
    for (const scheme of ["bearer", "BEARER", "Bearer"]) {
      const response = await post(
        gateway.url,
        { authorization: `${scheme} service-key` },
        callBody("analytics.ping", { n: 1 }),
      );
      expect(response.status, scheme).toBe(200);
    }
  });

  it("limits failed authentications per address with 429 and Retry-After", async () => {
    const { gateway } = await world({ authFailureRateLimit: { points: 3, durationSeconds: 60 } });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const response = await post(
        gateway.url,
        { authorization: `Bearer guess-${attempt}` },
        callBody("analytics.ping"),
      );
      statuses.push(response.status);
      retryAfter ??= response.retryAfter;
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it("believes X-Forwarded-For only from a trusted proxy: a client cannot pick its own address", async () => {
    const failures = (gatewayUrl: string, forwardedFor: string) =>
      post(
        gatewayUrl,
        { authorization: "Bearer wrong", "x-forwarded-for": forwardedFor },
        callBody("analytics.ping"),
      );
    // No trusted proxy: a new X-Forwarded-For per attempt changes nothing, the socket's address is limited.
    const { gateway: direct } = await world({
      authFailureRateLimit: { points: 2, durationSeconds: 60 },
    });
    const spoofed = [];
    for (let attempt = 0; attempt < 3; attempt += 1)
      spoofed.push((await failures(direct.url, `203.0.113.${attempt}`)).status);
    expect(spoofed).toEqual([401, 401, 429]);
    // Behind a trusted proxy (this loopback peer), each client address gets its own budget.
    const { gateway: proxied } = await world({
      authFailureRateLimit: { points: 2, durationSeconds: 60 },
      trustedProxies: ["127.0.0.0/8", "::1"],
    });
    const first = [];
    for (let attempt = 0; attempt < 3; attempt += 1)
      first.push((await failures(proxied.url, "203.0.113.7")).status);
    expect(first).toEqual([401, 401, 429]);
    expect((await failures(proxied.url, "198.51.100.9, 127.0.0.1")).status).toBe(401);
  });

  it("keeps a JWT identity and an API-key client of the same name apart", async () => {
    const { issuer, gateway } = await world({ toolRateLimit: { points: 1, durationSeconds: 60 } });
    const keyClient = await connectClient(gateway.url, { authorization: "Bearer service-key" });
    const token = await issuer.token({ client_id: "svc-all", sub: "svc-all", scope: "*" });
    const jwtClient = await connectClient(gateway.url, { authorization: `Bearer ${token}` });
    onTestFinished(() => keyClient.close());
    onTestFinished(() => jwtClient.close());
    expect((await call(keyClient, "analytics.ping", { n: 1 })).text).toBe("pong 1");
    // Sharing the API-key client's bucket, this call would be limited.
    expect((await call(jwtClient, "analytics.ping", { n: 2 })).text).toBe("pong 2");
  });

  it("will not let another identity use a session", async () => {
    const { issuer, gateway } = await world();
    const init = await fetch(`${gateway.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: "Bearer service-key",
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "a", version: "0" },
        },
      }),
    });
    const sessionId = init.headers.get("mcp-session-id") ?? "";
    await init.text();
    expect(sessionId).not.toBe("");
    const token = await issuer.token({ client_id: "intruder", scope: "*" });
    const response = await post(
      gateway.url,
      {
        authorization: `Bearer ${token}`,
        "mcp-session-id": sessionId,
        "mcp-protocol-version": "2025-06-18",
      },
      callBody("analytics.ping", { n: 1 }),
    );
    expect(response.status).toBe(404);
  });
});

describe("refusals in metrics", () => {
  it("counts rate-limited and breaker-refused calls as limited and rejected, not error", async () => {
    const { gateway, telemetry, users } = await world({
      toolRateLimit: { points: 1, durationSeconds: 60 },
      breaker: { volumeThreshold: 1, resetTimeout: 60_000 },
    });
    const client = await connectClient(gateway.url, { authorization: "Bearer service-key" });
    onTestFinished(() => client.close());
    await call(client, "analytics.ping", { n: 1 });
    expect((await call(client, "analytics.ping", { n: 2 })).isError).toBe(true);
    await users.close();
    const other = await connectClient(gateway.url, { authorization: "Bearer service-key" });
    onTestFinished(() => other.close());
    let refused = false;
    for (let attempt = 0; attempt < 5 && !refused; attempt += 1) {
      // Each tool has its own limit; users.whoami has one point, so use two names of the down backend.
      const result = await call(other, attempt % 2 ? "users.whoami" : "users.slow", { steps: 0 });
      refused = result.text === "Service temporarily unavailable";
    }
    expect(refused).toBe(true);
    const metrics = await telemetry.metrics();
    expect(metrics).toMatch(/mcp_tool_calls_total\{tool="analytics.ping",status="limited"\} 1/);
    expect(metrics).toMatch(/mcp_tool_calls_total\{tool="analytics.ping",status="error"\} 0/);
    expect(metrics).toMatch(
      /mcp_tool_calls_total\{tool="users\.(whoami|slow)",status="rejected"\} [1-9]/,
    );
  });
});

describe("a shared limit across replicas", () => {
  it("admits exactly the limit when a burst saturates two replicas sharing Redis", async () => {
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    onTestFinished(async () => {
      await redis.quit();
    });
    const shared: Partial<GatewayOptions> = {
      redis,
      rateLimitKeyPrefix: `burst-${randomUUID()}`,
      toolRateLimit: { points: 60, durationSeconds: 60 },
    };
    const first = await world(shared);
    const second = await createGateway({
      port: 0,
      backends: [{ prefix: "analytics", url: first.analytics.url }],
      auth: { apiKeys: parseApiKeys("service-key=svc-all:*") },
      telemetry: createTelemetry({ serviceName: "mcp-gateway", registry: new Registry() }),
      requestRateLimit: { points: 100_000, durationSeconds: 60 },
      ...shared,
    });
    onTestFinished(() => second.close());
    const burst = 400;
    const outcomes = await Promise.all(
      Array.from({ length: burst }, async (_, index) => {
        const target = index % 2 ? second.url : first.gateway.url;
        const response = await post(
          target,
          { authorization: "Bearer service-key" },
          callBody("analytics.ping", { n: index }, index),
        );
        return response.text.includes(`pong ${index}`) ? "ok" : "limited";
      }),
    );
    expect(outcomes.filter((outcome) => outcome === "ok")).toHaveLength(60);
  });
});

describe("health", () => {
  it("includes a backend's own readiness in the gateway's", async () => {
    let backendReady = 200;
    const backend = await startBackend("analytics", { ready: () => backendReady });
    onTestFinished(() => backend.close());
    const gateway = await createGateway({
      port: 0,
      backends: [{ prefix: "analytics", url: backend.url }],
    });
    onTestFinished(() => gateway.close());
    gateway.health.markReady();
    const status = async () =>
      ((await get(`${gateway.url}/health/ready`)).body as { status: string }).status;
    expect(await status()).toBe("healthy");
    backendReady = 503;
    const { waitFor } = await import("@mcp-prod/testkit");
    await waitFor(async () => (await status()) === "degraded", {
      what: "readiness to follow the backend's",
    });
  });
});
