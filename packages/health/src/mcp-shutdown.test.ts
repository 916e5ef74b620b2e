import { deferred, listen, httpGet as request } from "@mcp-prod/testkit";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { createHealth } from "./health.ts";

describe("graceful shutdown of an MCP server over Streamable HTTP", () => {
  it("finishes a tool call in flight while refusing new connections, then exits 0", async () => {
    const health = createHealth();
    onTestFinished(() => health.close());
    const started = deferred();
    const release = deferred();
    const probes = health.nodeHandler();

    // Stateless Streamable HTTP: a new McpServer and transport per request.
    const listening = await listen((incoming, response) => {
      if (incoming.url?.startsWith("/health")) {
        probes(incoming, response);
        return;
      }
      if (incoming.method !== "POST") {
        response.writeHead(405).end();
        return;
      }
      const server = new McpServer({ name: "slow-server", version: "1.0.0" });
      server.registerTool(
        "report",
        { description: "A slow report", inputSchema: { topic: z.string() } },
        async ({ topic }) => {
          started.resolve();
          await release.promise;
          return { content: [{ type: "text", text: `report on ${topic}` }] };
        },
      );
      // No sessionIdGenerator: stateless mode.
      const transport = new StreamableHTTPServerTransport({});
      void (async () => {
        await server.connect(transport);
        await transport.handleRequest(incoming, response);
        response.on("close", () => {
          void transport.close();
          void server.close();
        });
      })();
    });
    onTestFinished(() => listening.close());
    health.markReady();
    const shutdown = health.gracefulShutdown({
      servers: [listening.server],
      drainMs: 0,
      timeoutMs: 10_000,
      signals: [],
      exit: false,
    });

    const client = new Client({ name: "test-client", version: "1.0.0" });
    onTestFinished(() => client.close());
    await client.connect(new StreamableHTTPClientTransport(new URL(`${listening.url}/mcp`)));
    const call = client.callTool({ name: "report", arguments: { topic: "uptime" } });
    await started.promise;

    const closing = new Promise<void>((resolve) => {
      const off = health.on("shutdownPhase", ({ phase }) => {
        if (phase === "closing") {
          off();
          resolve();
        }
      });
    });
    const done = shutdown("SIGTERM");
    await closing;
    await expect(request(`${listening.url}/health/live`)).rejects.toThrow(/ECONNREFUSED/);

    release.resolve();
    const result = await call;
    expect(result.content).toEqual([{ type: "text", text: "report on uptime" }]);
    expect(await done).toBe(0);
    expect(listening.server.listening).toBe(false);
  });
});
