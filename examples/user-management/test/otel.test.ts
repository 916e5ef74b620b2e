import { randomUUID } from "node:crypto";
import {
  connectClient,
  type ExportedSpan,
  type RunningExample,
  SPAN_KIND,
  startOtlpReceiver,
  startUserManagement,
} from "@mcp-prod-examples/kit/testing";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const cleanup: Array<() => Promise<unknown>> = [];

describe("user-management-mcp exporting OpenTelemetry", () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let server: RunningExample;
  let client: Client;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    cleanup.push(() => receiver.close());
    server = await startUserManagement(receiver.env);
    cleanup.push(() => server.stop());
    client = await connectClient(server.url);
    cleanup.push(() => client.close());
  });
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it("continues the caller's traceparent from the tool call down to its PostgreSQL statement", async () => {
    const traceId = randomUUID().replaceAll("-", "");
    const callerSpanId = randomUUID().replaceAll("-", "").slice(0, 16);
    await client.callTool({
      name: "search_users",
      arguments: { query: "ada" },
      _meta: { traceparent: `00-${traceId}-${callerSpanId}-01` },
    });

    await vi.waitFor(
      () => {
        const inTrace = receiver.spans.filter((span) => span.traceId === traceId);
        const tool = inTrace.find((span) => span.name === "tools/call search_users");
        expect(tool).toBeDefined();
        expect(inTrace.some((span) => span.parentSpanId === tool?.spanId)).toBe(true);
      },
      { timeout: 15_000 },
    );
    const inTrace = receiver.spans.filter((span) => span.traceId === traceId);
    const tool = inTrace.find((span) => span.name === "tools/call search_users") as ExportedSpan;
    expect(tool.kind).toBe(SPAN_KIND.server);
    expect(tool.parentSpanId).toBe(callerSpanId);
    expect(tool.service).toBe("user-management-mcp");
    expect(tool.attrs).toMatchObject({
      "mcp.method.name": "tools/call",
      "gen_ai.tool.name": "search_users",
      "gen_ai.operation.name": "execute_tool",
      "network.transport": "tcp",
    });
    const statement = inTrace.find((span) => span.parentSpanId === tool.spanId) as ExportedSpan;
    expect(statement.kind).toBe(SPAN_KIND.client);
    expect(statement.attrs).toMatchObject({
      "db.system.name": "postgresql",
      "db.operation.name": "SELECT",
    });
    expect(JSON.stringify(statement.attrs)).not.toContain("ada");
  });

  it("exports mcp.server.operation.duration", async () => {
    await vi.waitFor(
      () => expect(receiver.metricNames).toContain("mcp.server.operation.duration"),
      {
        timeout: 15_000,
      },
    );
  });
});
