// Failures seen right: a backend that dies mid-call, forgets a session or answers with an
// error body; claims that cannot travel; the observability endpoints. Each test fails on a
// gateway that sees the failure wrong.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createTelemetry } from "@mcp-prod/telemetry";
import { deferred, waitFor } from "@mcp-prod/testkit";
import { Registry } from "prom-client";
import { describe, expect, it, onTestFinished } from "vitest";
import { parseApiKeys } from "./auth.ts";
import {
  call,
  callWhoami,
  connectClient,
  post,
  startBackend,
  startIssuer,
  startRawBackend,
} from "./gateway.test-helpers.ts";
import { createGateway } from "./gateway.ts";

const quiet = () => createTelemetry({ serviceName: "mcp-gateway", registry: new Registry() });

describe.each([
  ["with sessions", true, {}],
  ["without sessions", false, {}],
  ["with sessions, to a client that declared roots", true, { roots: {} }],
] as const)("a backend %s killed mid-call", (_label, stateful, capabilities) => {
  it("gives an isError result naming the tool, counts as a failure, and ends with the backend down and the breaker open", async () => {
    const users = await startBackend("users", { stateful });
    const gateway = await createGateway({
      port: 0,
      backends: [{ prefix: "users", url: users.url }],
      telemetry: quiet(),
      breaker: { volumeThreshold: 2, resetTimeout: 60_000 },
    });
    onTestFinished(() => gateway.close());
    const client = await connectClient(gateway.url, {}, capabilities);
    onTestFinished(() => client.close());
    const pending = call(client, "users.slow", { steps: 0 });
    await waitFor(() => users.record.started === 1, { what: "the call to reach the backend" });
    await users.close();
    const killed = await pending;
    expect(killed.isError).toBe(true);
    expect(killed.text).toBe("users.slow failed: backend users is unavailable");
    const backend = gateway.backends[0];
    expect(backend?.state).toBe("down");
    expect(backend?.breaker.stats().failures).toBe(1);
    expect((await call(client, "users.whoami")).isError).toBe(true);
    expect(backend?.breaker.stats().state).toBe("open");
    expect((await call(client, "users.whoami")).text).toBe("Service temporarily unavailable");
  });
});

describe("backend sessions", () => {
  it("one the backend forgot is replaced and ended (DELETE), and close() leaves no backend stream open", async () => {
    const users = await startBackend("users", { stateful: true });
    onTestFinished(() => users.close());
    const gateway = await createGateway({
      port: 0,
      backends: [{ prefix: "users", url: users.url }],
      telemetry: quiet(),
    });
    const client = await connectClient(gateway.url);
    expect((await call(client, "users.whoami")).isError).toBeFalsy();
    const first = users.record.sessionIds.at(-1) as string;
    // The GET stream the client opened is held on the backend session too.
    await waitFor(() => users.record.streams >= 2, { what: "the held backend stream" });
    users.forgetSessions();
    expect((await call(client, "users.whoami")).isError).toBeFalsy();
    const second = users.record.sessionIds.at(-1) as string;
    expect(second).not.toBe(first);
    await waitFor(() => users.record.deleted.includes(first), { what: "the old session's DELETE" });
    await client.close();
    await gateway.close();
    await waitFor(() => users.record.streams === 0, { what: "every backend stream to end" });
    expect(users.record.deleted).toContain(second);
  });
});

describe("a backend's error answers", () => {
  it("an HTTP error body never reaches the client, nor its status as a JSON-RPC code", async () => {
    const secret = "postgres://app:hunter2@db.internal:5432/prod";
    const backend = await startRawBackend({
      leaky: (res) =>
        res
          .writeHead(400, { "content-type": "application/json" })
          .end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: 400, message: secret } })),
    });
    onTestFinished(() => backend.close());
    const gateway = await createGateway({
      port: 0,
      backends: [{ prefix: "raw", url: backend.url }],
      telemetry: quiet(),
    });
    onTestFinished(() => gateway.close());
    const response = await post(
      gateway.url,
      {},
      {
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "raw.leaky", arguments: {} },
      },
    );
    expect(response.text).not.toContain("hunter2");
    const answer = JSON.parse(response.text) as {
      error?: unknown;
      result?: { isError?: boolean; content: Array<{ text: string }> };
    };
    expect(answer.error).toBeUndefined();
    expect(answer.result?.isError).toBe(true);
    expect(answer.result?.content[0]?.text).toBe("raw.leaky failed: backend raw refused the call");
  });
});

describe("identity claims", () => {
  it("a lone surrogate in client_id or sub makes the token unusable: 401 at authentication", async () => {
    const issuer = await startIssuer();
    const users = await startBackend("users");
    onTestFinished(() => issuer.close());
    onTestFinished(() => users.close());
    const gateway = await createGateway({
      port: 0,
      backends: [{ prefix: "users", url: users.url }],
      auth: { issuer: issuer.issuer },
      telemetry: quiet(),
    });
    onTestFinished(() => gateway.close());
    for (const claims of [
      { client_id: "desk\uD800top", sub: "alice", scope: "*" },
      { client_id: "desktop", sub: "\uDC00lice", scope: "*" },
      { client_id: "desktop", sub: "alice", scope: "users \uD83D" },
    ]) {
      const token = await issuer.token(claims);
      const response = await post(gateway.url, { authorization: `Bearer ${token}` }, callWhoami);
      expect(response.status, JSON.stringify(claims)).toBe(401);
    }
    expect(users.record.calls).toBe(0);
  });

  it("a scope refusal is a 403 whatever the tool's name", async () => {
    const backend = await startBackend((server) => {
      server.registerTool(
        "日本語ツール",
        { description: "A tool with a Japanese name" },
        async () => ({
          content: [{ type: "text", text: "はい" }],
        }),
      );
    });
    onTestFinished(() => backend.close());
    const gateway = await createGateway({
      port: 0,
      backends: [{ url: backend.url }],
      auth: { apiKeys: parseApiKeys("narrow-key=narrow:other") },
      telemetry: quiet(),
    });
    onTestFinished(() => gateway.close());
    const response = await post(
      gateway.url,
      { authorization: "Bearer narrow-key" },
      {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "日本語ツール", arguments: {} },
      },
    );
    expect(response.status).toBe(403);
    expect(response.wwwAuthenticate).toMatch(/error="insufficient_scope"/);
  });
});

describe("/metrics and /health", () => {
  it("follow the Host rules: a foreign Host gets 403", async () => {
    const backend = await startBackend("analytics");
    onTestFinished(() => backend.close());
    const gateway = await createGateway({
      port: 0,
      backends: [{ prefix: "analytics", url: backend.url }],
      telemetry: quiet(),
    });
    onTestFinished(() => gateway.close());
    gateway.health.markReady();
    for (const path of ["/metrics", "/health", "/health/live", "/health/ready"]) {
      const { request } = await import("node:http");
      const status = await new Promise<number>((resolve, reject) => {
        request(`${gateway.url}${path}`, { headers: { host: "attacker.example" } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on("error", reject)
          .end();
      });
      expect(status, path).toBe(403);
      expect((await fetch(`${gateway.url}${path}`)).status, path).toBe(200);
    }
  });

  it("/metrics takes a bearer token when one is set, and a flood of scrapes renders once", async () => {
    const backend = await startBackend("analytics");
    onTestFinished(() => backend.close());
    const telemetry = quiet();
    let renders = 0;
    const gate = deferred<void>();
    const gated = {
      ...telemetry,
      metrics: async () => {
        renders += 1;
        await gate.promise;
        return telemetry.metrics();
      },
    };
    const gateway = await createGateway({
      port: 0,
      backends: [{ prefix: "analytics", url: backend.url }],
      telemetry: gated,
      metricsToken: "m3trics-token",
    });
    onTestFinished(() => gateway.close());
    const scrape = (token?: string) =>
      fetch(
        `${gateway.url}/metrics`,
        token ? { headers: { authorization: `Bearer ${token}` } } : {},
      );
    expect((await scrape()).status).toBe(401);
    expect((await scrape("wrong")).status).toBe(401);
    let arrived = 0;
    gateway.server.on("request", () => {
      arrived += 1;
    });
    const flood = Array.from({ length: 50 }, () => scrape("m3trics-token"));
    await waitFor(() => arrived === 50, { what: "every scrape to arrive" });
    gate.resolve();
    const answers = await Promise.all(flood);
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(renders).toBe(1);
  });
});

describe("close()", () => {
  it("lets the process exit by itself, with nothing left open", async () => {
    // A script that starts a backend with sessions, the gateway, a client, calls, closes: no exit().
    const script = `
      import { createServer } from "node:http";
      import { randomUUID } from "node:crypto";
      import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
      import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
      import { Client } from "@modelcontextprotocol/sdk/client/index.js";
      import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
      import { createGateway } from "./dist/index.js";
      const sessions = new Map();
      const backend = createServer(async (req, res) => {
        const id = req.headers["mcp-session-id"];
        let transport = id ? sessions.get(id) : undefined;
        if (!transport) {
          transport = new StreamableHTTPServerTransport({ sessionIdGenerator: randomUUID, onsessioninitialized: (sid) => sessions.set(sid, transport) });
          const server = new McpServer({ name: "b", version: "0" });
          server.registerTool("echo", {}, async () => ({ content: [{ type: "text", text: "ok" }] }));
          await server.connect(transport);
        }
        await transport.handleRequest(req, res);
      });
      await new Promise((resolve) => backend.listen(0, "127.0.0.1", resolve));
      const gateway = await createGateway({ port: 0, backends: [{ url: "http://127.0.0.1:" + backend.address().port + "/mcp" }] });
      const client = new Client({ name: "c", version: "0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(gateway.url + "/mcp")));
      await client.callTool({ name: "echo" });
      await client.close();
      await gateway.close();
      for (const transport of sessions.values()) await transport.close();
      backend.close();
      console.log("closed");
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd: join(import.meta.dirname, ".."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(output).toContain("closed");
    expect(code).toBe(0);
  });
});
