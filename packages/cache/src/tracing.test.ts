import { randomUUID } from "node:crypto";
import { redisUrl } from "@mcp-prod/testkit";
import { registerTestSdk } from "@mcp-prod/testkit/otel";
import { SpanKind, trace } from "@opentelemetry/api";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createCache } from "./cache.ts";

const sdk = registerTestSdk();
const redis = new Redis(redisUrl());
const cache = createCache({ redis, prefix: `test:cache-spans:${randomUUID()}:` });
afterAll(async () => {
  await cache.close();
  redis.disconnect();
  await sdk.shutdown();
});

describe("Redis command spans", () => {
  it("records the L2 tier's commands as CLIENT spans under the caller's span, without keys or values", async () => {
    const url = new URL(redisUrl());
    const tracer = trace.getTracer("test");
    await tracer.startActiveSpan("tools/call get_report", async (parent) => {
      await cache.set("report:secret-key", { total: 42 });
      parent.end();
    });
    const [parent] = sdk.finished("tools/call get_report");
    const [set] = sdk.finished("SET");
    expect(set?.kind).toBe(SpanKind.CLIENT);
    expect(set?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
    expect(set?.attributes).toEqual({
      "db.system.name": "redis",
      "db.operation.name": "SET",
      "db.namespace": url.pathname.slice(1) || "0",
      "server.address": url.hostname,
      "server.port": Number(url.port || 6379),
    });
    expect(JSON.stringify(set?.attributes)).not.toMatch(/secret-key|42/);
  });
});
