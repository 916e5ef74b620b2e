// The gateway agrees with its backends: what a backend's wrappers say in `_meta` reaches the
// client and the gateway's metrics, a backend without a health endpoint is not unhealthy, and
// errors name the tool the client called, with one `MCP error` prefix.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createTelemetry } from "@mcp-prod/telemetry";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { Registry } from "prom-client";
import { describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { call, connectClient, get, startBackend, startRawBackend } from "./gateway.test-helpers.ts";
import { createGateway } from "./gateway.ts";

const REFUSAL_META = {
  "mcp-prod/ratelimit": {
    limited: true,
    limit: 1,
    durationSeconds: 60,
    retryAfterMs: 1000,
    retryAfterSeconds: 1,
  },
  "example.com/trace": { id: 7 },
};
const DEGRADED_META = { "mcp-prod/fallback": { degraded: true, reason: "error", attempt: 1 } };

/** Starts a gateway with a metrics registry of its own in front of `url` under `weather2.`. */
async function gatewayWithMetrics(url: string) {
  const registry = new Registry();
  const gateway = await createGateway({
    port: 0,
    backends: [{ prefix: "weather2", url }],
    telemetry: createTelemetry({ serviceName: "mcp-gateway", registry }),
  });
  onTestFinished(() => gateway.close());
  const count = async (tool: string, status: string) => {
    const line = (await registry.metrics())
      .split("\n")
      .find((item) => item.startsWith(`mcp_tool_calls_total{tool="${tool}",status="${status}"}`));
    return Number(line?.split(" ").pop() ?? Number.NaN);
  };
  return { gateway, count };
}

describe.each(["stateful", "stateless"] as const)("in front of a %s backend", (kind) => {
  it("passes a backend's _meta on unchanged, its rate-limit refusal included, and counts it as limited", async () => {
    const backend = await startBackend(
      (server) => {
        server.registerTool("forecast", {}, async () => ({
          content: [{ type: "text", text: "Rate limit exceeded, retry in 1 s" }],
          isError: true,
          _meta: REFUSAL_META,
        }));
      },
      { stateful: kind === "stateful" },
    );
    onTestFinished(() => backend.close());
    const { gateway, count } = await gatewayWithMetrics(backend.url);
    const client = await connectClient(gateway.url);
    onTestFinished(() => client.close());
    const result = await call(client, "weather2.forecast");
    expect(result.isError).toBe(true);
    expect(result._meta).toEqual(REFUSAL_META);
    expect(await count("weather2.forecast", "limited")).toBe(1);
    expect(await count("weather2.forecast", "error")).toBe(0);
  });

  it("counts a backend's degraded answer as degraded, its _meta unchanged", async () => {
    const backend = await startBackend(
      (server) => {
        server.registerTool("forecast", {}, async () => ({
          content: [{ type: "text", text: "yesterday's forecast" }],
          _meta: DEGRADED_META,
        }));
      },
      { stateful: kind === "stateful" },
    );
    onTestFinished(() => backend.close());
    const { gateway, count } = await gatewayWithMetrics(backend.url);
    const client = await connectClient(gateway.url);
    onTestFinished(() => client.close());
    const result = await call(client, "weather2.forecast");
    expect(result.text).toBe("yesterday's forecast");
    expect(result._meta).toEqual(DEGRADED_META);
    expect(await count("weather2.forecast", "degraded")).toBe(1);
    expect(await count("weather2.forecast", "success")).toBe(0);
  });
});

describe("a backend without a health endpoint", () => {
  it("is ready when /health/ready answers 406, as an SDK server that takes every path does", async () => {
    // Written like the SDK's node:http example: every path goes to the MCP transport.
    const backend = createServer(async (req, res) => {
      const server = new McpServer({ name: "weather", version: "1.0.0" });
      server.registerTool("forecast", {}, async () => ({
        content: [{ type: "text", text: "sunny" }],
      }));
      const transport = new StreamableHTTPServerTransport({});
      res.on("close", () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res);
    });
    await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          backend.closeAllConnections();
          backend.close(() => resolve());
        }),
    );
    const url = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    expect((await get(`${url}/health/ready`)).status).toBe(406);
    const { gateway } = await gatewayWithMetrics(`${url}/mcp`);
    gateway.health.markReady();
    const ready = await get(`${gateway.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect((ready.body as { status: string }).status).toBe("healthy");
  });
});

describe("errors", () => {
  it("name the tool the client called, with one MCP error prefix, when the backend answers a JSON-RPC error", async () => {
    const backend = await startRawBackend({
      forecast: (res, id) =>
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({
            jsonrpc: "2.0",
            id,
            error: {
              code: -32602,
              message: "MCP error -32602: Tool forecast not found",
              data: { hint: 1 },
            },
          }),
        ),
    });
    onTestFinished(() => backend.close());
    const { gateway } = await gatewayWithMetrics(backend.url);
    const client = await connectClient(gateway.url);
    onTestFinished(() => client.close());
    const error = await client
      .callTool({ name: "weather2.forecast" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(McpError);
    expect(error).toMatchObject({ code: -32602, data: { hint: 1 } });
    expect((error as Error).message).toBe("MCP error -32602: Tool weather2.forecast not found");
  });

  it("name the tool the client called in an error an SDK backend answers as a result", async () => {
    const backend = await startBackend((server) => {
      server.registerTool("forecast", { inputSchema: { city: z.string() } }, async ({ city }) => ({
        content: [{ type: "text", text: `sunny in ${city}` }],
      }));
    });
    onTestFinished(() => backend.close());
    const { gateway } = await gatewayWithMetrics(backend.url);
    const client = await connectClient(gateway.url);
    onTestFinished(() => client.close());
    const result = await call(client, "weather2.forecast", { city: 5 });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/^MCP error -32602: /);
    expect(result.text).not.toMatch(/^MCP error -32602: MCP error/);
    expect(result.text).toContain("tool weather2.forecast");
    expect(result.text).not.toMatch(/tool forecast\b/);
  });

  it("say an unknown tool and an unavailable backend once, naming the client's tool", async () => {
    const backend = await startBackend((server) => {
      server.registerTool("forecast", {}, async () => ({
        content: [{ type: "text", text: "sunny" }],
      }));
    });
    const { gateway } = await gatewayWithMetrics(backend.url);
    const client = await connectClient(gateway.url);
    onTestFinished(() => client.close());
    const unknown = await client.callTool({ name: "nope" }).catch((caught: unknown) => caught);
    expect((unknown as Error).message).toBe("MCP error -32602: Unknown tool: nope");
    await backend.close();
    const down = await call(client, "weather2.forecast");
    expect(down.isError).toBe(true);
    expect(down.text).toBe("weather2.forecast failed: backend weather2 is unavailable");
  });
});
