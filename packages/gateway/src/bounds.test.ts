// Every resource the gateway holds for a client is bounded: sessions (refused ones included,
// and one identity's share), request points (per message), what a backend may send, the
// connections to a backend, and the time a call may take. Each test fails on a gateway
// without the bound.
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { createTelemetry } from "@mcp-prod/telemetry";
import { deferred, waitFor } from "@mcp-prod/testkit";
import { Registry } from "prom-client";
import { describe, expect, it, onTestFinished } from "vitest";
import { parseApiKeys } from "./auth.ts";
import {
  call,
  connectClient,
  initialize,
  manualClock,
  post,
  type RawTool,
  sseResult,
  startRawBackend,
} from "./gateway.test-helpers.ts";
import { createGateway, type GatewayOptions } from "./gateway.ts";

async function gatewayOver(
  tools: Record<string, RawTool>,
  overrides: Partial<GatewayOptions> = {},
) {
  const backend = await startRawBackend(tools);
  onTestFinished(() => backend.close());
  const gateway = await createGateway({
    port: 0,
    backends: [{ prefix: "raw", url: backend.url }],
    telemetry: createTelemetry({ serviceName: "mcp-gateway", registry: new Registry() }),
    rateLimitKeyPrefix: `bounds-${randomUUID()}`,
    ...overrides,
  });
  onTestFinished(() => gateway.close());
  return { backend, gateway };
}

const echo: RawTool = (res, id) =>
  res.writeHead(200, { "content-type": "text/event-stream" }).end(sseResult(id, "echo"));

const toolCall = (id: number, name: string) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: {} },
});

describe("sessions", () => {
  it("an initialize refused for its Accept header or inside a batch leaves no session behind", async () => {
    const { gateway } = await gatewayOver({ echo });
    for (let index = 0; index < 50; index += 1) {
      const wrongAccept = await fetch(`${gateway.url}/mcp`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(initialize),
      });
      await wrongAccept.body?.cancel();
      expect(wrongAccept.status).toBe(406);
      const batched = await post(gateway.url, {}, [
        initialize,
        { jsonrpc: "2.0", id: 2, method: "ping" },
      ]);
      expect(batched.status).toBe(400);
    }
    expect(gateway.stats().sessions).toBe(0);
  });

  it("one identity holds at most its share of the sessions; another still gets one", async () => {
    const { gateway } = await gatewayOver(
      { echo },
      {
        auth: { apiKeys: parseApiKeys("alice-key=shared:*,bob-key=shared:*") },
        maxSessions: 100,
        maxSessionsPerIdentity: 3,
      },
    );
    const alice = { authorization: "Bearer alice-key" };
    const statuses = [];
    for (let index = 0; index < 4; index += 1)
      statuses.push((await post(gateway.url, alice, initialize)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await post(gateway.url, { authorization: "Bearer bob-key" }, initialize)).status).toBe(
      200,
    );
  });
});

describe("batches", () => {
  it("cost one request point per message", async () => {
    const { gateway } = await gatewayOver(
      { echo },
      { requestRateLimit: { points: 10, durationSeconds: 60 } },
    );
    const pings = (count: number, from: number) =>
      Array.from({ length: count }, (_, index) => ({
        jsonrpc: "2.0",
        id: from + index,
        method: "ping",
      }));
    expect((await post(gateway.url, {}, pings(11, 0))).status).toBe(429);
    const answered = await post(gateway.url, {}, pings(10, 100));
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.text)).toHaveLength(10);
    expect((await post(gateway.url, {}, pings(1, 200))).status).toBe(429);
  });
});

describe("what a backend sends", () => {
  const sized =
    (bytes: number, json: boolean, cut: { value: boolean }): RawTool =>
    (res, id) => {
      const text = "x".repeat(bytes);
      const body = JSON.stringify({
        jsonrpc: "2.0",
        id,
        result: { content: [{ type: "text", text }] },
      });
      res.writeHead(200, { "content-type": json ? "application/json" : "text/event-stream" });
      const payload = json ? body : `event: message\ndata: ${body}\n\n`;
      res.once("close", () => {
        if (!res.writableFinished) cut.value = true;
      });
      // Written in pieces, as a large answer streams in.
      let offset = 0;
      const next = () => {
        while (offset < payload.length) {
          const piece = payload.slice(offset, offset + 65_536);
          offset += piece.length;
          if (!res.write(piece)) return void res.once("drain", next);
        }
        res.end();
      };
      next();
    };

  it("a message over maxResultBytes is refused while it streams in; one under it passes whole", async () => {
    const cuts = { sse: { value: false }, json: { value: false } };
    const { gateway } = await gatewayOver(
      {
        // Far more than loopback buffers hold, so the backend sees its answer cut.
        huge_sse: sized(30_000_000, false, cuts.sse),
        huge_json: sized(30_000_000, true, cuts.json),
        large: sized(900_000, false, { value: false }),
      },
      { maxResultBytes: 1_000_000 },
    );
    const client = await connectClient(gateway.url);
    onTestFinished(() => client.close());
    for (const name of ["raw.huge_sse", "raw.huge_json"]) {
      const refused = await call(client, name);
      expect(refused.isError, name).toBe(true);
      expect(refused.text).toBe(
        `${name} failed: backend raw sent a result larger than the gateway accepts`,
      );
    }
    await waitFor(() => cuts.sse.value && cuts.json.value, { what: "both answers to be cut" });
    expect((await call(client, "raw.large")).text).toHaveLength(900_000);
  });

  it("a backend's flood waits for a client that reads slowly: the gateway holds no backlog", async () => {
    const total = 2000;
    const state = { written: 0, blocked: false, ended: false };
    const flood: RawTool = (res, id) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const line = (index: number) =>
        `event: message\ndata: ${JSON.stringify({
          jsonrpc: "2.0",
          method: "notifications/message",
          params: { level: "info", data: `${index} ${"y".repeat(16_000)}` },
        })}\n\n`;
      const next = () => {
        state.blocked = false;
        while (state.written < total) {
          const ok = res.write(line(state.written));
          state.written += 1;
          if (!ok) {
            state.blocked = true;
            return void res.once("drain", next);
          }
        }
        state.ended = true;
        res.end(sseResult(id, "flooded"));
      };
      next();
    };
    const { gateway } = await gatewayOver({ flood });
    const response = await fetch(`${gateway.url}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify(toolCall(1, "raw.flood")),
    });
    await waitFor(() => state.blocked, { what: "the backend to wait for the gateway" });
    // The client reads nothing: the backend stays blocked, far from done.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(state.blocked).toBe(true);
    expect(state.written).toBeLessThan(total);
    const text = await response.text();
    expect(text.match(/notifications\/message/g)).toHaveLength(total);
    expect(text).toContain("flooded");
  });
});

describe("connections to a backend", () => {
  it("an answer the backend leaves open is let go, so the pool never runs out", async () => {
    const clock = manualClock();
    const linger: RawTool = (res, id) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(sseResult(id, "answered"));
      // ...and never ends the stream.
    };
    const { backend, gateway } = await gatewayOver({ linger }, { maxBackendConnections: 2, clock });
    const client = await connectClient(gateway.url);
    onTestFinished(() => client.close());
    for (let index = 0; index < 6; index += 1) {
      let settled = false;
      const pending = call(client, "raw.linger").finally(() => {
        settled = true;
      });
      // Each tick of the housekeeping lets go of answers held open past their grace.
      await waitFor(
        () => {
          if (!settled) clock.advance(1000);
          return settled;
        },
        { what: `call ${index} to be answered` },
      );
      expect((await pending).text).toBe("answered");
    }
    expect(backend.open()).toBeLessThanOrEqual(2);
  });

  it("a call waiting for a connection times out from the moment it was accepted", async () => {
    const clock = manualClock();
    let stalled = 0;
    const stall: RawTool = () => {
      stalled += 1;
    };
    const { gateway } = await gatewayOver(
      { stall },
      { maxBackendConnections: 1, backendTimeoutMs: 1000, clock },
    );
    const client = await connectClient(gateway.url);
    onTestFinished(() => client.close());
    const first = call(client, "raw.stall");
    await waitFor(() => stalled === 1, { what: "the first call to hold the only connection" });
    const second = call(client, "raw.stall");
    await waitFor(() => gateway.stats().calls === 2, { what: "the second call to be accepted" });
    clock.advance(1000);
    for (const result of await Promise.all([first, second])) {
      expect(result.isError).toBe(true);
      expect(result.text).toBe("raw.stall failed: backend raw did not answer in time");
    }
    expect(stalled).toBe(1);
  });

  it("one identity holds at most its share of a backend's connections; another still gets through", async () => {
    const waiting: ServerResponse[] = [];
    const hold: RawTool = (res, id) => {
      waiting.push(res);
      res.once("close", () => waiting.splice(waiting.indexOf(res), 1));
      (res as ServerResponse & { id?: unknown }).id = id;
    };
    const { gateway } = await gatewayOver(
      { hold, echo },
      {
        auth: { apiKeys: parseApiKeys("alice-key=alice:*,bob-key=bob:*") },
        maxBackendConnectionsPerIdentity: 2,
      },
    );
    const alice = await connectClient(gateway.url, { authorization: "Bearer alice-key" });
    const bob = await connectClient(gateway.url, { authorization: "Bearer bob-key" });
    onTestFinished(() => alice.close());
    onTestFinished(() => bob.close());
    const held = [call(alice, "raw.hold"), call(alice, "raw.hold")];
    await waitFor(() => waiting.length === 2, { what: "alice's two calls to hold connections" });
    const refused = await call(alice, "raw.echo");
    expect(refused.isError).toBe(true);
    expect(refused._meta?.["mcp-prod/bulkhead"]).toEqual({ rejected: true });
    expect((await call(bob, "raw.echo")).text).toBe("echo");
    for (const res of [...waiting])
      res
        .writeHead(200, { "content-type": "text/event-stream" })
        .end(sseResult((res as ServerResponse & { id?: unknown }).id, "released"));
    expect((await Promise.all(held)).map((result) => result.text)).toEqual([
      "released",
      "released",
    ]);
  });
});

describe("connections shared by nobody", () => {
  it("one identity churning through declared capabilities never touches another's call in flight", {
    timeout: 120_000,
  }, async () => {
    const released = deferred<void>();
    let held = 0;
    const hold: RawTool = (res, id) => {
      held += 1;
      void released.promise.then(() =>
        res.writeHead(200, { "content-type": "text/event-stream" }).end(sseResult(id, "held")),
      );
    };
    const { gateway } = await gatewayOver(
      { hold, echo },
      {
        auth: { apiKeys: parseApiKeys("alice-key=alice:*,bob-key=bob:*") },
        requestRateLimit: { points: 100_000, durationSeconds: 60 },
        toolRateLimit: { points: 100_000, durationSeconds: 60 },
        maxSessionsPerIdentity: 5000,
        breaker: { volumeThreshold: 1, resetTimeout: 60_000 },
      },
    );
    const alice = await connectClient(
      gateway.url,
      { authorization: "Bearer alice-key" },
      { roots: {} },
    );
    onTestFinished(() => alice.close());
    const inFlight = call(alice, "raw.hold");
    await waitFor(() => held === 1, { what: "alice's call to hold its connection" });
    // Bob declares 1 100 different capability sets, one session each, and calls with each.
    const bob = { authorization: "Bearer bob-key" };
    for (let index = 0; index < 1100; index += 1) {
      const opened = await post(gateway.url, bob, {
        ...initialize,
        params: {
          ...initialize.params,
          capabilities: { roots: {}, experimental: { churn: { n: index } } },
        },
      });
      const session = {
        ...bob,
        "mcp-session-id": opened.sessionId ?? "",
        "mcp-protocol-version": "2025-06-18",
      };
      expect((await post(gateway.url, session, toolCall(index, "raw.echo"))).text).toContain(
        "echo",
      );
    }
    released.resolve();
    expect((await inFlight).text).toBe("held");
    expect(gateway.backends[0]?.breaker.stats().failures).toBe(0);
  });
});

describe("time", () => {
  it("a call that keeps sending progress is cut at maxCallMs", async () => {
    const clock = manualClock();
    const streams: Array<{ res: ServerResponse; token: unknown }> = [];
    const busy: RawTool = (res, _id, params) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      streams.push({ res, token: (params._meta as { progressToken?: unknown }).progressToken });
    };
    const { gateway } = await gatewayOver(
      { busy },
      { backendTimeoutMs: 300, maxCallMs: 1000, clock },
    );
    const client = await connectClient(gateway.url);
    onTestFinished(() => client.close());
    let seen = 0;
    let settled = false;
    const pending = client
      .callTool({ name: "raw.busy" }, undefined, { onprogress: () => (seen += 1) })
      .finally(() => {
        settled = true;
      });
    await waitFor(() => streams.length === 1, { what: "the call to reach the backend" });
    const { res, token } = streams[0] as (typeof streams)[number];
    for (let step = 1; !settled && step <= 10; step += 1) {
      res.write(
        `event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: token, progress: step } })}\n\n`,
      );
      await waitFor(() => seen === step || settled, { what: `progress ${step}` });
      clock.advance(250);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const result = (await pending) as { isError?: boolean; content: Array<{ text: string }> };
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toBe("raw.busy failed: backend raw did not answer in time");
    // Each progress moved the 300 ms timeout, but 1000 ms after acceptance the call ended.
    expect(seen).toBe(4);
  });
});
