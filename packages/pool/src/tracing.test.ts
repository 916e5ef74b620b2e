import { databaseUrl } from "@mcp-prod/testkit";
import { registerTestSdk } from "@mcp-prod/testkit/otel";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createPool } from "./pool.ts";

const sdk = registerTestSdk();
const url = new URL(databaseUrl());
const pool = createPool({ connectionString: databaseUrl(), max: 2 });
afterAll(async () => {
  await pool.close();
  await sdk.shutdown();
});
afterEach(() => sdk.spans.reset());

describe("statement spans", () => {
  it("records each statement as a CLIENT span under the caller's span, on the database conventions", async () => {
    const tracer = trace.getTracer("test");
    await tracer.startActiveSpan("tools/call search_users", async (parent) => {
      await pool.query("SELECT $1::text AS secret", ["hunter2"]);
      parent.end();
      const [span] = sdk.finished(`SELECT ${url.pathname.slice(1)}`);
      expect(span?.kind).toBe(SpanKind.CLIENT);
      expect(span?.spanContext().traceId).toBe(parent.spanContext().traceId);
      expect(span?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(span?.attributes).toEqual({
        "db.system.name": "postgresql",
        "db.operation.name": "SELECT",
        "db.namespace": url.pathname.slice(1),
        "server.address": url.hostname,
        "server.port": Number(url.port || 5432),
      });
      expect(JSON.stringify(span?.attributes)).not.toContain("hunter2");
    });
  });

  it("names the operation after leading comments and traces statements inside a transaction", async () => {
    await pool.transaction(async (tx) => {
      await tx.query("/* audit */ -- note\n  update pg_settings set setting = setting where false");
    });
    const operations = sdk.finished().map((span) => span.attributes["db.operation.name"]);
    expect(operations).toContain("UPDATE");
  });

  it("marks a failed statement with its SQLSTATE", async () => {
    await expect(pool.query("SELECT * FROM no_such_table_for_spans")).rejects.toThrow();
    const [span] = sdk
      .finished()
      .filter((finished) => finished.attributes["db.operation.name"] === "SELECT");
    expect(span?.attributes["error.type"]).toBe("42P01");
    expect(span?.attributes["db.response.status_code"]).toBe("42P01");
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.events.map((event) => event.name)).toEqual(["exception"]);
  });
});
