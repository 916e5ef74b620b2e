import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createBreaker, withBreaker } from "@mcp-prod/breaker";
import { withFallback } from "@mcp-prod/fallback";
import { registerTestSdk } from "@mcp-prod/testkit/otel";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  createTelemetry,
  injectTraceContext,
  traceClientCall,
  tracePrompt,
  traceResource,
  traceTool,
} from "./index.ts";
import { seriesValue } from "./telemetry.test-helpers.ts";

const sdk = registerTestSdk();
afterAll(() => sdk.shutdown());
afterEach(() => sdk.spans.reset());

const CLIENT_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN_ID = "00f067aa0ba902b7";
const TRACEPARENT = `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01`;

class QuotaError extends Error {
  override readonly name = "QuotaError";
}

/** One stateful Streamable HTTP session on loopback: a real session id and protocol version header. */
async function serveOverHttp(
  server: McpServer,
): Promise<{ client: Client; sessionId: string; close(): Promise<void> }> {
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() });
  await server.connect(transport);
  const http: Server = createServer(
    (request, response) => void transport.handleRequest(request, response),
  );
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  const client = new Client({ name: "tracing-test", version: "1.0.0" });
  const clientTransport = new StreamableHTTPClientTransport(
    new URL(`http://127.0.0.1:${port}/mcp`),
  );
  await client.connect(clientTransport);
  return {
    client,
    sessionId: clientTransport.sessionId as string,
    close: async () => {
      await client.close();
      await server.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

describe("traceTool over Streamable HTTP", () => {
  let session: Awaited<ReturnType<typeof serveOverHttp>>;
  let baggageSeen: string | undefined;
  let release: (() => void) | undefined;
  const telemetry = createTelemetry({ serviceName: "tracing-test" });

  beforeAll(async () => {
    const server = new McpServer({ name: "traced", version: "1.0.0" });
    server.registerTool(
      "search_users",
      { inputSchema: { query: z.string() } },
      telemetry.wrap("search_users", async ({ query }) => {
        baggageSeen = propagation.getBaggage(context.active())?.getEntry("tenant")?.value;
        return { content: [{ type: "text" as const, text: `found ${query}` }] };
      }),
    );
    server.registerTool(
      "refuse",
      {},
      traceTool("refuse", async () => ({
        content: [{ type: "text" as const, text: "no" }],
        isError: true,
      })),
    );
    server.registerTool(
      "throws_code",
      {},
      traceTool("throws_code", async () => {
        throw Object.assign(new Error("upstream refused"), { code: "ECONNREFUSED" });
      }),
    );
    server.registerTool(
      "throws_class",
      {},
      traceTool("throws_class", async () => {
        throw new QuotaError("quota spent");
      }),
    );
    server.registerTool(
      "hangs",
      {},
      traceTool(
        "hangs",
        () =>
          new Promise<never>((resolve) => {
            release = () => resolve(undefined as never);
          }),
      ),
    );
    server.registerTool(
      "forecast",
      {},
      telemetry.wrap(
        "forecast",
        withFallback(
          async () => {
            throw new Error("weather API down");
          },
          { content: [{ type: "text" as const, text: "sunny, probably" }] },
        ),
      ),
    );
    server.registerPrompt(
      "review",
      { argsSchema: { code: z.string() } },
      tracePrompt("review", async ({ code }) => ({
        messages: [{ role: "user" as const, content: { type: "text" as const, text: code } }],
      })),
    );
    server.registerResource(
      "user",
      new ResourceTemplate("users://{id}", { list: undefined }),
      {},
      traceResource("user", async (uri) => ({ contents: [{ uri: uri.href, text: "ada" }] })),
    );
    session = await serveOverHttp(server);
  });
  afterAll(() => session.close());

  it("records a SERVER span with every convention attribute on success", async () => {
    await session.client.callTool({ name: "search_users", arguments: { query: "ada" } });
    const [span] = sdk.finished("tools/call search_users");
    expect(span?.kind).toBe(SpanKind.SERVER);
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    expect(span?.attributes).toEqual({
      "mcp.method.name": "tools/call",
      "gen_ai.tool.name": "search_users",
      "gen_ai.operation.name": "execute_tool",
      "jsonrpc.request.id": expect.stringMatching(/^\d+$/),
      "mcp.session.id": session.sessionId,
      "mcp.protocol.version": expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      "network.transport": "tcp",
    });
    expect(span?.instrumentationScope.name).toBe("@mcp-prod/telemetry");
  });

  it("continues the trace the client put in params._meta, baggage included", async () => {
    await session.client.callTool({
      name: "search_users",
      arguments: { query: "ada" },
      _meta: {
        traceparent: TRACEPARENT,
        tracestate: "rojo=00f067aa0ba902b7",
        baggage: "tenant=acme",
      },
    });
    const [span] = sdk.finished("tools/call search_users");
    expect(span?.spanContext().traceId).toBe(CLIENT_TRACE_ID);
    expect(span?.parentSpanContext?.spanId).toBe(CLIENT_SPAN_ID);
    expect(span?.parentSpanContext?.isRemote).toBe(true);
    expect(span?.spanContext().traceState?.get("rojo")).toBe("00f067aa0ba902b7");
    expect(baggageSeen).toBe("acme");
  });

  it("falls back to the active context when _meta carries none", async () => {
    const tracer = trace.getTracer("test");
    await tracer.startActiveSpan("caller", async (caller) => {
      const handler = traceTool("local", async (_args: object, _extra: object) => ({
        content: [],
      }));
      await handler({}, { requestId: 7 });
      caller.end();
      const [span] = sdk.finished("tools/call local");
      expect(span?.spanContext().traceId).toBe(caller.spanContext().traceId);
      expect(span?.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
      expect(span?.attributes["jsonrpc.request.id"]).toBe("7");
    });
  });

  it("marks an isError result tool_error", async () => {
    await session.client.callTool({ name: "refuse", arguments: {} });
    const [span] = sdk.finished("tools/call refuse");
    expect(span?.attributes["error.type"]).toBe("tool_error");
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("marks a throw with the error's code, or its class, and records the exception", async () => {
    await session.client.callTool({ name: "throws_code", arguments: {} });
    await session.client.callTool({ name: "throws_class", arguments: {} });
    const [coded] = sdk.finished("tools/call throws_code");
    const [classed] = sdk.finished("tools/call throws_class");
    expect(coded?.attributes["error.type"]).toBe("ECONNREFUSED");
    expect(coded?.status).toEqual({ code: SpanStatusCode.ERROR, message: "upstream refused" });
    expect(coded?.events.map((event) => event.name)).toEqual(["exception"]);
    expect(classed?.attributes["error.type"]).toBe("QuotaError");
  });

  it("ends the span as cancelled when the client cancels", async () => {
    const controller = new AbortController();
    const call = session.client.callTool({ name: "hangs", arguments: {} }, undefined, {
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(release).toBeTypeOf("function"));
    controller.abort(new Error("user left"));
    await expect(call).rejects.toThrow();
    await vi.waitFor(() => expect(sdk.finished("tools/call hangs")).toHaveLength(1));
    const [span] = sdk.finished("tools/call hangs");
    expect(span?.attributes["error.type"]).toBe("cancelled");
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    release?.();
  });

  it("marks a fallback's answer degraded: span attributes, OTel counter and prom-client status", async () => {
    await session.client.callTool({ name: "forecast", arguments: {} });
    const [span] = sdk.finished("tools/call forecast");
    expect(span?.attributes).toMatchObject({
      "mcp_prod.degraded": true,
      "mcp_prod.fallback.degraded": true,
      "mcp_prod.fallback.reason": "error",
      "mcp_prod.fallback.attempt": 1,
    });
    expect(span?.attributes["error.type"]).toBeUndefined();
    const [degraded] = await sdk.points("mcp_prod.server.operation.degraded");
    expect(degraded?.value).toBe(1);
    expect(degraded?.attributes).toMatchObject({ "gen_ai.tool.name": "forecast" });
    expect(
      await seriesValue(telemetry.registry, "mcp_tool_calls_total", {
        tool: "forecast",
        status: "degraded",
      }),
    ).toBe(1);
    expect(
      await seriesValue(telemetry.registry, "mcp_tool_calls_total", {
        tool: "forecast",
        status: "success",
      }),
    ).toBe(0);
  });

  it("records mcp.server.operation.duration in seconds with the advised buckets and error.type", async () => {
    await session.client.callTool({ name: "refuse", arguments: {} });
    const metric = await sdk.metric("mcp.server.operation.duration");
    expect(metric?.descriptor.unit).toBe("s");
    const refused = metric?.dataPoints.find(
      (point) => point.attributes["gen_ai.tool.name"] === "refuse",
    );
    expect(refused?.attributes).toEqual({
      "mcp.method.name": "tools/call",
      "gen_ai.tool.name": "refuse",
      "gen_ai.operation.name": "execute_tool",
      "mcp.protocol.version": expect.any(String),
      "network.transport": "tcp",
      "error.type": "tool_error",
    });
    const errorTypes = new Set(metric?.dataPoints.map((point) => point.attributes["error.type"]));
    for (const type of ["tool_error", "ECONNREFUSED", "QuotaError", "cancelled"])
      expect(errorTypes).toContain(type);
    const value = refused?.value as { count: number; buckets: { boundaries: number[] } };
    expect(value.count).toBeGreaterThanOrEqual(1);
    expect(value.buckets.boundaries).toEqual([
      0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300,
    ]);
  });

  it("traces prompts/get and resources/read", async () => {
    await session.client.getPrompt({ name: "review", arguments: { code: "x" } });
    await session.client.readResource({ uri: "users://42" });
    const [prompt] = sdk.finished("prompts/get review");
    expect(prompt?.attributes).toMatchObject({
      "mcp.method.name": "prompts/get",
      "gen_ai.prompt.name": "review",
    });
    expect(prompt?.attributes["gen_ai.operation.name"]).toBeUndefined();
    const [resource] = sdk.finished("resources/read");
    expect(resource?.attributes).toMatchObject({
      "mcp.method.name": "resources/read",
      "mcp.resource.uri": "users://42",
    });
  });

  it("carries one trace from a forwarded CLIENT span to the server it calls", async () => {
    const tracer = trace.getTracer("test");
    await tracer.startActiveSpan("gateway request", async (root) => {
      await traceClientCall(
        {
          method: "tools/call",
          target: "search_users",
          serverAddress: "127.0.0.1",
          serverPort: 3001,
          meta: { progressToken: 1 },
        },
        (_meta) =>
          session.client.callTool({ name: "search_users", arguments: { query: "ada" }, _meta }),
      );
      root.end();
      const [clientSpan] = sdk.finished().filter((span) => span.kind === SpanKind.CLIENT);
      const [serverSpan] = sdk
        .finished("tools/call search_users")
        .filter((span) => span.kind === SpanKind.SERVER);
      expect(clientSpan?.name).toBe("tools/call search_users");
      expect(clientSpan?.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
      expect(clientSpan?.attributes).toMatchObject({
        "mcp.method.name": "tools/call",
        "gen_ai.tool.name": "search_users",
        "server.address": "127.0.0.1",
        "server.port": 3001,
        "network.transport": "tcp",
      });
      expect(serverSpan?.spanContext().traceId).toBe(root.spanContext().traceId);
      expect(serverSpan?.parentSpanContext?.spanId).toBe(clientSpan?.spanContext().spanId);
    });
    const [point] = await sdk.points("mcp.client.operation.duration");
    expect(point?.attributes["gen_ai.tool.name"]).toBe("search_users");
  });

  it("injects the active context into a copy of a forwarded _meta", () => {
    const tracer = trace.getTracer("test");
    const span = tracer.startSpan("forward");
    const meta = { progressToken: 3 };
    const injected = context.with(trace.setSpan(context.active(), span), () =>
      injectTraceContext(meta),
    );
    span.end();
    expect(meta).toEqual({ progressToken: 3 });
    expect(injected).toEqual({
      progressToken: 3,
      traceparent: `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`,
    });
  });
});

describe("observed objects on the active span", () => {
  it("adds a breaker's rejection to the tool call's span, beside the result's _meta outcome", async () => {
    const telemetry = createTelemetry({ serviceName: "breaker-events" });
    const breaker = createBreaker(async (_args: object, _extra: object) => ({ content: [] }), {
      name: "forecast-api",
    });
    telemetry.observeBreaker(breaker);
    const tool = telemetry.wrap(
      "forecast_breaker",
      withBreaker(async (_args: object, _extra: object) => ({ content: [] }), { breaker }),
    );
    breaker.forceOpen();
    await tool({}, {});
    const [span] = sdk.finished("tools/call forecast_breaker");
    expect(span?.events.map((event) => [event.name, event.attributes])).toEqual([
      ["mcp_prod.breaker.rejected", { "mcp_prod.breaker": "forecast-api" }],
    ]);
    expect(span?.attributes).toMatchObject({
      "mcp_prod.breaker.open": true,
      "error.type": "tool_error",
    });
    telemetry.close();
    breaker.close();
  });
});

describe("trace options", () => {
  it("refuses unknown keys and invalid values", () => {
    const handler = async () => ({ content: [] });
    expect(() => traceTool("t", handler, { transport: "pipe" } as never)).toThrow(/transport/);
    expect(() => traceTool("t", handler, { networkTransport: "carrier-pigeon" as never })).toThrow(
      /networkTransport/,
    );
    expect(() => traceTool("", handler)).toThrow(TypeError);
  });

  it("uses the given transport and protocol version", async () => {
    const handler = traceTool(
      "stdio_tool",
      async (_args: object, _extra: object) => ({ content: [] }),
      {
        networkTransport: "pipe",
        protocolVersion: "2025-11-25",
      },
    );
    await handler({}, {});
    const [span] = sdk.finished("tools/call stdio_tool");
    expect(span?.attributes).toMatchObject({
      "network.transport": "pipe",
      "mcp.protocol.version": "2025-11-25",
    });
  });
});
