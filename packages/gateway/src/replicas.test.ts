// Three gateway replicas sharing one Redis, behind a balancer that sends every request to the
// next replica: any replica serves any session.
import { randomUUID } from "node:crypto";
import { createTelemetry } from "@mcp-prod/telemetry";
import { deferred, redisUrl, waitFor } from "@mcp-prod/testkit";
import { connectHttp, connectHttp2 } from "@mcp-prod/testkit/http";
import { ElicitRequestSchema, ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { describe, expect, it, onTestFinished } from "vitest";
import { parseApiKeys } from "./auth.ts";
import { startBalancer } from "./balancer.ts";
import { everything, post, startBackend } from "./gateway.test-helpers.ts";
import { createGateway, type GatewayOptions } from "./gateway.ts";
import { SseParser } from "./sse.ts";

const KEY = "replica-test-session-key-0123456789abcdef";
const ALICE = { authorization: "Bearer alice-key" };
const BOB = { authorization: "Bearer bob-key" };

/** A backend with sessions and every feature, plus `hold`: a log line, then its answer once released. */
async function backendWithHold() {
  const release = { next: deferred<void>() };
  const backend = await startBackend(
    (server, record) => {
      everything(server, record);
      server.registerTool(
        "hold",
        { description: "Logs, then answers once released" },
        async (extra) => {
          await extra.sendNotification({
            method: "notifications/message",
            params: { level: "info", data: "before" },
          });
          await release.next.promise;
          return { content: [{ type: "text", text: "after" }] };
        },
      );
    },
    { stateful: true, capabilities: { logging: {}, resources: { subscribe: true } } },
  );
  onTestFinished(() => backend.close());
  return { backend, release };
}

async function replicas(backendUrl: string, overrides: Partial<GatewayOptions> = {}, count = 3) {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  onTestFinished(async () => {
    await redis.quit();
  });
  const prefix = `replicas-${randomUUID()}`;
  const gateways = [];
  for (let index = 0; index < count; index += 1) {
    const gateway = await createGateway({
      port: 0,
      backends: [{ url: backendUrl }],
      redis,
      rateLimitKeyPrefix: prefix,
      sessionKeys: [KEY],
      auth: { apiKeys: parseApiKeys("alice-key=alice:*,bob-key=bob:*") },
      telemetry: createTelemetry({ serviceName: "mcp-gateway", registry: new Registry() }),
      ...overrides,
    });
    onTestFinished(() => gateway.close());
    gateways.push(gateway);
  }
  const balancer = await startBalancer({ targets: gateways.map((gateway) => gateway.url) });
  onTestFinished(() => balancer.close());
  return { redis, prefix, gateways, balancer };
}

const onSession = (id: string, headers = ALICE) => ({
  ...headers,
  "mcp-session-id": id,
  "mcp-protocol-version": "2025-11-25",
});
const initialize = {
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "raw", version: "0" },
  },
};
const rpc = (id: number, method: string, params: Record<string, unknown> = {}) => ({
  jsonrpc: "2.0",
  id,
  method,
  params,
});

/** Reads an SSE answer as it comes: its events, and a way to wait for one. */
function readEvents(response: Response) {
  const events: Array<{ id: string | undefined; data: string }> = [];
  const parser = new SseParser(16_000_000);
  parser.onEvent = (event) => events.push({ id: event.id, data: event.data });
  const done = (async () => {
    const reader = response.body?.getReader();
    if (!reader) return;
    try {
      for (;;) {
        const { value, done: finished } = await reader.read();
        if (finished) return;
        parser.push(Buffer.from(value));
      }
    } catch {
      // The test dropped the stream on purpose.
    }
  })();
  return {
    events,
    done,
    until: (predicate: (data: string) => boolean, what: string) =>
      waitFor(() => events.some((event) => predicate(event.data)), { what }),
  };
}

describe.each([
  ["1.x", connectHttp],
  ["2.x", connectHttp2],
] as const)("an SDK %s client through three replicas", (_sdk, connect) => {
  it("keeps one session, every request landing on the next replica", async () => {
    const { backend } = await backendWithHold();
    const { balancer, gateways } = await replicas(backend.url);
    const { client, sessionId, close } = await connect(`${balancer.url}/mcp`, { headers: ALICE });
    onTestFinished(close);
    const id = sessionId();
    expect(id).toBeDefined();
    for (let index = 0; index < 6; index += 1) {
      const result = (await client.callTool({ name: "echo_meta" })) as { isError?: boolean };
      expect(result.isError).toBeFalsy();
    }
    expect(sessionId()).toBe(id);
    // One backend session for the client session, whichever replica opened it.
    expect(backend.record.sessions).toBe(gateways.length + 1);
  });

  it("completes an elicitation whose answer lands on another replica", async () => {
    const { backend } = await backendWithHold();
    const { balancer } = await replicas(backend.url);
    const { client, close } = await connect(`${balancer.url}/mcp`, {
      headers: ALICE,
      capabilities: { elicitation: {}, roots: {} },
    });
    onTestFinished(close);
    const answer = { action: "accept", content: { name: "Ada" } };
    const roots = { roots: [{ uri: "file:///work", name: "work" }] };
    if (client instanceof (await import("@modelcontextprotocol/sdk/client/index.js")).Client) {
      client.setRequestHandler(ElicitRequestSchema, async () => answer as never);
      client.setRequestHandler(ListRootsRequestSchema, async () => roots);
    } else {
      const v2 = client as unknown as {
        setRequestHandler(method: string, handler: () => unknown): void;
      };
      v2.setRequestHandler("elicitation/create", async () => answer);
      v2.setRequestHandler("roots/list", async () => roots);
    }
    const result = (await client.callTool({ name: "ask_user" })) as {
      content: Array<{ text: string }>;
    };
    expect(JSON.parse(result.content[0]?.text ?? "{}")).toEqual({ answer, roots });
  });
});

describe("sessions across replicas", () => {
  it("forged, altered and foreign-identity ids get 404 on every replica; the owner's id works on each", async () => {
    const { backend } = await backendWithHold();
    const { gateways } = await replicas(backend.url);
    const opened = await post(gateways[0]?.url ?? "", ALICE, initialize);
    const id = opened.sessionId ?? "";
    const altered = `${id.slice(0, -4)}${id.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
    const forged = `s1.${Buffer.alloc(60, 7).toString("base64url")}`;
    for (const gateway of gateways) {
      expect((await post(gateway.url, onSession(id), rpc(1, "ping"))).status).toBe(200);
      for (const [label, headers] of [
        ["foreign identity", onSession(id, BOB)],
        ["altered", onSession(altered)],
        ["forged", onSession(forged)],
      ] as const)
        expect((await post(gateway.url, headers, rpc(2, "tools/list"))).status, label).toBe(404);
    }
  });

  it("DELETE ends the session on every replica", async () => {
    const { backend } = await backendWithHold();
    const { gateways } = await replicas(backend.url);
    const id = (await post(gateways[0]?.url ?? "", ALICE, initialize)).sessionId ?? "";
    for (const gateway of gateways)
      expect((await post(gateway.url, onSession(id), rpc(1, "ping"))).status).toBe(200);
    const ended = await fetch(`${gateways[1]?.url}/mcp`, {
      method: "DELETE",
      headers: onSession(id),
    });
    expect(ended.status).toBe(200);
    for (const gateway of gateways)
      await waitFor(
        async () => (await post(gateway.url, onSession(id), rpc(2, "ping"))).status === 404,
        {
          what: "every replica to forget the session",
        },
      );
  });

  it("rotates keys: ids sealed with the previous key still open where it is kept", async () => {
    const { backend } = await backendWithHold();
    const next = "the-next-session-key-0123456789abcdefgh";
    const before = await replicas(backend.url, {}, 1);
    const id = (await post(before.gateways[0]?.url ?? "", ALICE, initialize)).sessionId ?? "";
    const shared = { redis: before.redis, rateLimitKeyPrefix: before.prefix };
    // Step one of a rotation: every replica opens ids of both keys, still sealing with the old one.
    const accepting = await replicas(backend.url, { ...shared, sessionKeys: [KEY, next] }, 1);
    // Step two: the new key seals, the old one only opens.
    const rotated = await replicas(backend.url, { ...shared, sessionKeys: [next, KEY] }, 1);
    const onlyNew = await replicas(backend.url, { ...shared, sessionKeys: [next] }, 1);
    for (const { gateways } of [accepting, rotated])
      expect((await post(gateways[0]?.url ?? "", onSession(id), rpc(1, "ping"))).status).toBe(200);
    expect((await post(onlyNew.gateways[0]?.url ?? "", onSession(id), rpc(1, "ping"))).status).toBe(
      404,
    );
    const fresh = (await post(rotated.gateways[0]?.url ?? "", ALICE, initialize)).sessionId ?? "";
    for (const { gateways } of [accepting, onlyNew])
      expect((await post(gateways[0]?.url ?? "", onSession(fresh), rpc(2, "ping"))).status).toBe(
        200,
      );
  });

  it("a subscription made through one replica delivers resources/updated to a GET stream held by another", async () => {
    const { backend } = await backendWithHold();
    const { gateways } = await replicas(backend.url);
    const [first, second, third] = gateways.map((gateway) => gateway.url) as [
      string,
      string,
      string,
    ];
    const id = (await post(first, ALICE, initialize)).sessionId ?? "";
    const controller = new AbortController();
    onTestFinished(() => controller.abort());
    const stream = readEvents(
      await fetch(`${second}/mcp`, {
        headers: { ...onSession(id), accept: "text/event-stream" },
        signal: controller.signal,
      }),
    );
    const subscribed = await post(
      third,
      onSession(id),
      rpc(1, "resources/subscribe", { uri: "file:///readme.txt" }),
    );
    expect(subscribed.status).toBe(200);
    // Each replica's catalog session holds a stream; the second replica now holds the client's too.
    await waitFor(() => backend.record.streams === 4, {
      what: "the GET stream held for the client",
    });
    await post(first, onSession(id), rpc(2, "tools/call", { name: "touch", arguments: {} }));
    await stream.until((data) => data.includes("notifications/resources/updated"), "the update");
    expect(stream.events.find((event) => event.data.includes("resources/updated"))?.data).toContain(
      "file:///readme.txt",
    );
  });

  it("a stream resumed on another replica replays what the client missed", async () => {
    const { backend, release } = await backendWithHold();
    const { gateways } = await replicas(backend.url);
    const [first, second] = gateways.map((gateway) => gateway.url) as [string, string];
    const id = (await post(first, ALICE, initialize)).sessionId ?? "";
    const controller = new AbortController();
    const response = await fetch(`${first}/mcp`, {
      method: "POST",
      headers: {
        ...onSession(id),
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify(rpc(5, "tools/call", { name: "hold", arguments: {} })),
      signal: controller.signal,
    });
    const dropped = readEvents(response);
    await dropped.until((data) => data.includes("before"), "the log line");
    const lastSeen = dropped.events.at(-1)?.id ?? "";
    expect(lastSeen).not.toBe("");
    // The client loses its stream; the call goes on and answers meanwhile.
    controller.abort();
    release.next.resolve();
    const resumed = await fetch(`${second}/mcp`, {
      headers: { ...onSession(id), accept: "text/event-stream", "last-event-id": lastSeen },
    });
    expect(resumed.status).toBe(200);
    const replayed = readEvents(resumed);
    await replayed.done;
    const answer = replayed.events.find((event) => event.data.includes('"id":5'));
    expect(answer?.data).toContain("after");
    // Resumed again past its last event, the finished stream says there is nothing more.
    const again = await fetch(`${second}/mcp`, {
      headers: { ...onSession(id), accept: "text/event-stream", "last-event-id": answer?.id ?? "" },
    });
    expect(again.status).toBe(204);
  });
});
