import { randomUUID } from "node:crypto";
import {
  connectClient,
  type ExportedSpan,
  type RunningExample,
  SPAN_KIND,
  startExample,
  startOtlpReceiver,
  startUserManagement,
} from "@mcp-prod-examples/kit/testing";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const cleanup: Array<() => Promise<unknown>> = [];

describe("a tool call through the gateway, traced end to end", () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let users: RunningExample;
  let gateway: RunningExample;
  let client: Client;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    cleanup.push(() => receiver.close());
    users = await startUserManagement(receiver.env);
    cleanup.push(() => users.stop());
    gateway = await startExample("gateway", {
      GATEWAY_BACKENDS: `users=${users.url}/mcp`,
      ...receiver.env,
    });
    cleanup.push(() => gateway.stop());
    client = await connectClient(gateway.url);
    cleanup.push(() => client.close());
  });
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
    // Both flushed their exports on SIGTERM and exited cleanly.
    expect(await gateway.exited).toBe(0);
    expect(await users.exited).toBe(0);
  });

  it("the client's parent, the gateway's SERVER and CLIENT spans, the backend's SERVER span and its PostgreSQL statement are one trace, each the child of the one before", async () => {
    const traceId = randomUUID().replaceAll("-", "");
    const callerSpanId = randomUUID().replaceAll("-", "").slice(0, 16);
    const result = await client.callTool({
      name: "users.search_users",
      arguments: { query: "ada" },
      _meta: { traceparent: `00-${traceId}-${callerSpanId}-01`, "app/request": "e2e" },
    });
    expect(result.isError).toBeFalsy();

    const childOf = (parent: ExportedSpan | undefined) =>
      receiver.spans.find(
        (span) => span.traceId === traceId && span.parentSpanId === parent?.spanId,
      );
    const chain = () => {
      const gatewayServer = receiver.spans.find(
        (span) => span.traceId === traceId && span.parentSpanId === callerSpanId,
      );
      const gatewayClient = childOf(gatewayServer);
      const backendServer = childOf(gatewayClient);
      const statement = childOf(backendServer);
      return { gatewayServer, gatewayClient, backendServer, statement };
    };
    await vi.waitFor(() => expect(chain().statement).toBeDefined(), { timeout: 15_000 });
    const { gatewayServer, gatewayClient, backendServer, statement } = chain() as {
      [Key in keyof ReturnType<typeof chain>]: ExportedSpan;
    };

    expect(gatewayServer).toMatchObject({
      name: "tools/call users.search_users",
      kind: SPAN_KIND.server,
      service: "mcp-gateway",
      attrs: {
        "mcp.method.name": "tools/call",
        "gen_ai.tool.name": "users.search_users",
        "gen_ai.operation.name": "execute_tool",
        "network.transport": "tcp",
        "mcp.session.id": expect.any(String),
        "jsonrpc.request.id": expect.any(String),
      },
    });
    expect(gatewayClient).toMatchObject({
      name: "tools/call search_users",
      kind: SPAN_KIND.client,
      service: "mcp-gateway",
      attrs: {
        "mcp.method.name": "tools/call",
        "gen_ai.tool.name": "search_users",
        "server.address": "127.0.0.1",
        "server.port": Number(new URL(users.url).port),
      },
    });
    expect(backendServer).toMatchObject({
      name: "tools/call search_users",
      kind: SPAN_KIND.server,
      service: "user-management-mcp",
    });
    expect(statement).toMatchObject({
      kind: SPAN_KIND.client,
      service: "user-management-mcp",
      attrs: { "db.system.name": "postgresql", "db.operation.name": "SELECT" },
    });
    const spans = [gatewayServer, gatewayClient, backendServer, statement];
    expect(spans.map((span) => span.traceId)).toEqual(spans.map(() => traceId));
  });

  it("the gateway exports mcp.client.operation.duration", async () => {
    await vi.waitFor(
      () => expect(receiver.metricNames).toContain("mcp.client.operation.duration"),
      { timeout: 15_000 },
    );
  });
});
