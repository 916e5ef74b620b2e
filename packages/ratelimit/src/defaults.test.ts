import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { warningsDuring } from "@mcp-prod/testkit";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  compose,
  createRateLimiter,
  type RateLimiter,
  rateLimiterRegistry,
  withRateLimit,
} from "./index.ts";

/** A stateless Streamable HTTP server on loopback: a new McpServer per request, no authentication. */
async function statelessServer(register: (server: McpServer) => void): Promise<URL> {
  const http: Server = createServer(async (request, response) => {
    const server = new McpServer({ name: "stateless", version: "1.0.0" });
    register(server);
    const transport = new StreamableHTTPServerTransport({}); // no sessionIdGenerator: stateless
    response.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request, response);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  onTestFinished(
    () =>
      new Promise((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  );
  return new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
}

async function connect(url: URL, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "c", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
  onTestFinished(() => client.close());
  return client;
}

function textOf(result: Awaited<ReturnType<Client["callTool"]>>): string {
  return (result.content as Array<{ text: string }>)[0]?.text ?? "";
}

describe("a stateless HTTP server without authentication", () => {
  it("counts the calls it cannot otherwise tell apart by the client's remote address, with one warning", async () => {
    const limiter = createRateLimiter({ points: 2, durationSeconds: 60 });
    onTestFinished(() => limiter.close());
    const url = await statelessServer((server) =>
      server.registerTool(
        "ping",
        {},
        withRateLimit(async () => ({ content: [{ type: "text", text: "pong" }] }), { limiter }),
      ),
    );
    // Two clients from one address share its budget.
    const results: Array<Awaited<ReturnType<Client["callTool"]>>> = [];
    const warnings = await warningsDuring("MCP_PROD_RATELIMIT_BY_ADDRESS", async () => {
      const first = await connect(url);
      const second = await connect(url);
      results.push(await first.callTool({ name: "ping" }));
      results.push(await second.callTool({ name: "ping" }));
      results.push(await first.callTool({ name: "ping" }));
    });
    expect(results.map(textOf)).toEqual([
      "pong",
      "pong",
      expect.stringMatching(/^Rate limit exceeded, retry after \d+ s \(limit: 2 per 60 s\)\.$/),
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/against their remote address\. Behind a reverse proxy/);
    await expect(limiter.consume("address:127.0.0.1")).rejects.toMatchObject({
      code: "ERATELIMITED",
    });
  });

  it("refuses an HTTP call with no client id, session or remote address (a server outside node:http)", async () => {
    const limited = withRateLimit(async (_extra: object) => ({ content: [] }), {
      points: 1,
      durationSeconds: 60,
    });
    // What a web-standard transport hands a handler outside any node:http request.
    const extra = { signal: new AbortController().signal, requestInfo: { headers: {} } };
    await expect(limited(extra)).rejects.toThrow(
      "withRateLimit() cannot tell this call's client apart: it has no `authInfo.clientId`, no session id and no remote address",
    );
  });

  it("keeps the counts of a composed inline limiter when the McpServer is built per request", async () => {
    const url = await statelessServer((server) =>
      server.registerTool(
        "ping",
        {},
        compose(
          "ping",
          async () => ({ content: [{ type: "text", text: "pong" }] }),
          withRateLimit({ points: 2, durationSeconds: 60 }),
        ),
      ),
    );
    onTestFinished(() => rateLimiterRegistry.clear());
    const client = await connect(url, { "x-api-key": "alice" });
    const texts = [];
    for (let call = 0; call < 3; call++)
      texts.push(textOf(await client.callTool({ name: "ping" })));
    expect(texts).toEqual([
      "pong",
      "pong",
      expect.stringMatching(/^Rate limit exceeded, retry after \d+ s \(limit: 2 per 60 s\)\.$/),
    ]);
    expect(rateLimiterRegistry.get("ping")?.name).toBe("ping");
  });

  it("limits each client apart with a `key` read from the request", async () => {
    const limiter: RateLimiter = createRateLimiter({ points: 1, durationSeconds: 60 });
    const url = await statelessServer((server) =>
      server.registerTool(
        "ping",
        {},
        withRateLimit(async (_extra) => ({ content: [{ type: "text", text: "pong" }] }), {
          limiter,
          key: (extra) => String(extra.requestInfo?.headers["x-api-key"]),
        }),
      ),
    );
    const alice = await connect(url, { "x-api-key": "alice" });
    const bob = await connect(url, { "x-api-key": "bob" });
    expect(textOf(await alice.callTool({ name: "ping" }))).toBe("pong");
    expect(textOf(await bob.callTool({ name: "ping" }))).toBe("pong");
    expect((await alice.callTool({ name: "ping" })).isError).toBe(true);
  });
});

describe("an inline limiter created again by the same line", () => {
  it("emits one McpProdWarning saying it never limits anyone", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    const handler = async () => ({ content: [] });
    // A per-request server factory: the same withRateLimit line runs per request.
    for (let request = 0; request < 3; request++)
      withRateLimit(handler, { points: 5, durationSeconds: 60 });
    await new Promise((resolve) => setImmediate(resolve));
    process.off("warning", onWarning);
    const inline = warnings.filter(
      (warning) => (warning as Error & { code?: string }).code === "MCP_PROD_INLINE_LIMITER",
    );
    expect(inline).toHaveLength(1);
    expect(inline[0]?.name).toBe("McpProdWarning");
    expect(inline[0]?.message).toMatch(
      /^withRateLimit\(\) at .*defaults\.test\.ts:\d+:\d+ created a second limiter from inline options/,
    );
  });
});
