// Two identities that share what a gateway might mistake for one (the client of one OAuth
// client, the client id of two API keys), each trying to reach the other's session, budget,
// calls and backend connection. Each test fails on a gateway that keys any of them by part
// of the identity.
import { randomUUID } from "node:crypto";
import { createTelemetry } from "@mcp-prod/telemetry";
import { deferred, waitFor } from "@mcp-prod/testkit";
import { Registry } from "prom-client";
import { describe, expect, it, onTestFinished } from "vitest";
import { parseApiKeys } from "./auth.ts";
import {
  call,
  connectClient,
  initialize,
  post,
  startBackend,
  startIssuer,
} from "./gateway.test-helpers.ts";
import { createGateway, type GatewayOptions } from "./gateway.ts";

type Issuer = Awaited<ReturnType<typeof startIssuer>>;
/** Headers of alice (every scope), bob (analytics and users.whoami) and carol (analytics only). */
type Cast = Record<"alice" | "bob" | "carol", Record<string, string>>;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Two ways to share a client: one OAuth client's users, and API keys of one client id. */
const KINDS: Record<string, (issuer: Issuer) => Promise<Cast>> = {
  "two users of one OAuth client": async (issuer) => {
    const token = (sub: string, scope: string) => issuer.token({ azp: "desktop", sub, scope });
    return {
      alice: bearer(await token("alice", "*")),
      bob: bearer(await token("bob", "analytics users.whoami")),
      carol: bearer(await token("carol", "analytics")),
    };
  },
  "API keys that share a client id": async () => ({
    alice: bearer("alice-key"),
    bob: bearer("bob-key"),
    carol: bearer("carol-key"),
  }),
};

async function world(
  overrides: Partial<GatewayOptions> = {},
  more: GatewayOptions["backends"] = [],
) {
  const issuer = await startIssuer();
  const users = await startBackend("users", {
    stateful: true,
    instructions: "How to use users.",
    capabilities: { logging: {} },
  });
  const analytics = await startBackend("analytics", { instructions: "How to use analytics." });
  onTestFinished(() => issuer.close());
  onTestFinished(() => users.close());
  onTestFinished(() => analytics.close());
  const gateway = await createGateway({
    port: 0,
    backends: [
      { prefix: "users", url: users.url },
      { prefix: "analytics", url: analytics.url },
      ...more,
    ],
    auth: {
      issuer: issuer.issuer,
      apiKeys: parseApiKeys(
        "alice-key=shared:*,bob-key=shared:analytics+users.whoami,carol-key=shared:analytics",
      ),
    },
    telemetry: createTelemetry({ serviceName: "mcp-gateway", registry: new Registry() }),
    rateLimitKeyPrefix: `identity-${randomUUID()}`,
    ...overrides,
  });
  onTestFinished(() => gateway.close());
  return { issuer, users, analytics, gateway };
}

const request = (id: number | string, method: string, params: Record<string, unknown> = {}) => ({
  jsonrpc: "2.0",
  id,
  method,
  params,
});

describe.each(Object.keys(KINDS))("%s", (kind) => {
  const cast = (issuer: Issuer) => (KINDS[kind] as (issuer: Issuer) => Promise<Cast>)(issuer);

  it("each one reaches the backends as itself, also when both declare roots", async () => {
    const { issuer, users, analytics, gateway } = await world();
    const { alice, bob } = await cast(issuer);
    const capabilities = { roots: { listChanged: true } };
    const asAlice = await connectClient(gateway.url, alice, capabilities);
    const asBob = await connectClient(gateway.url, bob, capabilities);
    onTestFinished(() => asAlice.close());
    onTestFinished(() => asBob.close());
    for (const [backend, tool] of [
      [analytics, "analytics.ping"],
      [users, "users.whoami"],
    ] as const) {
      expect((await call(asAlice, tool, { n: 1 })).isError).toBeFalsy();
      expect((await call(asBob, tool, { n: 2 })).isError).toBeFalsy();
      const [seenAlice, seenBob] = backend.record.identities.slice(-2);
      expect(seenAlice?.scopes).toEqual(["*"]);
      expect(seenBob?.scopes).toEqual(["analytics", "users.whoami"]);
      if (kind.includes("OAuth")) {
        expect(seenAlice?.extra?.subject).toBe("alice");
        expect(seenBob?.extra?.subject).toBe("bob");
      }
    }
  });

  it("a session belongs to one whole identity: the other gets 404 for it on every method", async () => {
    const { issuer, gateway } = await world();
    const { alice, bob } = await cast(issuer);
    const opened = await post(gateway.url, alice, initialize);
    const session = opened.sessionId ?? "";
    expect(session).not.toBe("");
    const onSession = (who: Record<string, string>) => ({
      ...who,
      "mcp-session-id": session,
      "mcp-protocol-version": "2025-06-18",
    });
    for (const body of [
      request(2, "tools/list"),
      request(3, "resources/list"),
      request(4, "tools/call", { name: "analytics.ping", arguments: { n: 1 } }),
    ])
      expect((await post(gateway.url, onSession(bob), body)).status).toBe(404);
    for (const method of ["GET", "DELETE"]) {
      const response = await fetch(`${gateway.url}/mcp`, {
        method,
        headers: { ...onSession(bob), accept: "text/event-stream" },
      });
      await response.body?.cancel();
      expect(response.status, method).toBe(404);
    }
    // Alice's session is untouched by all of it.
    const mine = await post(gateway.url, onSession(alice), request(5, "tools/list"));
    expect(mine.status).toBe(200);
    expect(mine.text).toContain("users.slow");
  });

  it("request budgets are one per identity: the other's 429s throttle nobody else", async () => {
    const { issuer, gateway } = await world({
      requestRateLimit: { points: 3, durationSeconds: 60 },
    });
    const { alice, bob } = await cast(issuer);
    const statuses = [];
    for (let index = 0; index < 4; index += 1)
      statuses.push((await post(gateway.url, bob, request(index, "ping"))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await post(gateway.url, alice, request(9, "ping"))).status).toBe(200);
  });

  it("a cancellation reaches only its sender's call, even when both use the same id", async () => {
    const released = deferred();
    let started = 0;
    const holding = await startBackend((server) => {
      server.registerTool(
        "hold",
        { description: "Answers once the test lets it" },
        async (extra) => {
          started += 1;
          await Promise.race([
            released.promise,
            new Promise((resolve) => extra.signal.addEventListener("abort", resolve)),
          ]);
          return {
            content: [{ type: "text", text: extra.signal.aborted ? "aborted" : "released" }],
          };
        },
      );
    });
    onTestFinished(() => holding.close());
    const { issuer, gateway } = await world({}, [{ prefix: "hold", url: holding.url }]);
    const { alice, bob } = await cast(issuer);
    // Alice's call runs without a session, under JSON-RPC id 1.
    const pending = post(gateway.url, alice, request(1, "tools/call", { name: "hold.hold" }));
    await waitFor(() => started === 1, { what: "alice's call to start" });
    const cancel = { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } };
    expect((await post(gateway.url, bob, cancel)).status).toBe(202);
    released.resolve();
    expect((await pending).text).toContain("released");
  });

  it("setLevel, sessions and instructions reach only the backends the caller may use", async () => {
    const { issuer, users, gateway } = await world();
    const { carol } = await cast(issuer);
    const opened = await post(gateway.url, carol, initialize);
    const result = JSON.parse(opened.text).result as { instructions?: string };
    expect(result.instructions).toBe("How to use analytics.");
    const before = users.record.requests.length;
    const client = await connectClient(gateway.url, carol);
    onTestFinished(() => client.close());
    await client.setLoggingLevel("debug");
    expect(users.record.requests.slice(before).map((each) => each.method)).toEqual([]);
  });
});

describe("scopes", () => {
  it("are read from each request's credentials, not frozen when the session opened", async () => {
    const { issuer, gateway } = await world();
    const wide = bearer(await issuer.token({ azp: "desktop", sub: "dana", scope: "*" }));
    const narrow = bearer(await issuer.token({ azp: "desktop", sub: "dana", scope: "analytics" }));
    const opened = await post(gateway.url, wide, initialize);
    const session = {
      "mcp-session-id": opened.sessionId ?? "",
      "mcp-protocol-version": "2025-06-18",
    };
    const listed = await post(gateway.url, { ...narrow, ...session }, request(2, "tools/list"));
    expect(listed.status).toBe(200);
    const names = (JSON.parse(listed.text).result.tools as Array<{ name: string }>).map(
      (tool) => tool.name,
    );
    expect(names).toEqual(["analytics.ping"]);
    const refused = await post(
      gateway.url,
      { ...narrow, ...session },
      request(3, "tools/call", { name: "users.whoami", arguments: {} }),
    );
    expect(refused.status).toBe(403);
  });
});
