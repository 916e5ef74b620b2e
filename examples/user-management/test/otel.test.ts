import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { databaseUrl } from "@mcp-prod/testkit";
import { connectClient, type RunningExample, startExample } from "@mcp-prod-examples/kit/testing";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

// OTLP/HTTP JSON, as far as this test reads it.
type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean };
type KeyValue = { key: string; value: AnyValue };
type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: KeyValue[];
};
type ExportedSpan = OtlpSpan & { service: string | undefined; attrs: Record<string, unknown> };

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

function flatten(attributes: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries(
    (attributes ?? []).map(({ key, value }) => [
      key,
      value.stringValue ??
        (value.intValue !== undefined ? Number(value.intValue) : value.boolValue),
    ]),
  );
}

/** A loopback OTLP/HTTP receiver: what the collector would get, decoded. */
async function startReceiver() {
  const spans: ExportedSpan[] = [];
  const metricNames = new Set<string>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      if (request.url === "/v1/traces") {
        for (const resource of body.resourceSpans ?? []) {
          const service = flatten(resource.resource?.attributes)["service.name"] as
            | string
            | undefined;
          for (const scope of resource.scopeSpans ?? [])
            for (const span of scope.spans ?? [])
              spans.push({ ...span, service, attrs: flatten(span.attributes) });
        }
      } else if (request.url === "/v1/metrics") {
        for (const resource of body.resourceMetrics ?? [])
          for (const scope of resource.scopeMetrics ?? [])
            for (const metric of scope.metrics ?? []) metricNames.add(metric.name);
      }
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    metricNames,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const schema = `otel_users_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const admin = new pg.Pool({ connectionString: databaseUrl(), max: 1 });
const cleanup: Array<() => Promise<unknown>> = [];

describe("user-management-mcp exporting OpenTelemetry", () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let server: RunningExample;
  let client: Client;

  beforeAll(async () => {
    await admin.query(`CREATE SCHEMA ${schema}`);
    receiver = await startReceiver();
    cleanup.push(() => receiver.close());
    const url = new URL(databaseUrl());
    url.searchParams.set("options", `-c search_path=${schema}`);
    server = await startExample("user-management", {
      DATABASE_URL: url.href,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: "100",
      OTEL_METRIC_EXPORT_INTERVAL: "300",
    });
    cleanup.push(() => server.stop());
    client = await connectClient(server.url);
    cleanup.push(() => client.close());
  });
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
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
    expect(tool.kind).toBe(SPAN_KIND_SERVER);
    expect(tool.parentSpanId).toBe(callerSpanId);
    expect(tool.service).toBe("user-management-mcp");
    expect(tool.attrs).toMatchObject({
      "mcp.method.name": "tools/call",
      "gen_ai.tool.name": "search_users",
      "gen_ai.operation.name": "execute_tool",
      "network.transport": "tcp",
    });
    const statement = inTrace.find((span) => span.parentSpanId === tool.spanId) as ExportedSpan;
    expect(statement.kind).toBe(SPAN_KIND_CLIENT);
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
