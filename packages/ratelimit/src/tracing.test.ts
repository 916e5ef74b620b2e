import { randomUUID } from "node:crypto";
import { redisUrl } from "@mcp-prod/testkit";
import { registerTestSdk } from "@mcp-prod/testkit/otel";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { RateLimitExceededError } from "./errors.ts";
import { createRateLimiter } from "./limiter.ts";

const sdk = registerTestSdk();
const redis = new Redis(redisUrl());
afterAll(async () => {
  redis.disconnect();
  await sdk.shutdown();
});

describe("Redis command spans", () => {
  it("records each Redis consume as a CLIENT span; a refusal is not a failed command", async () => {
    const limiter = createRateLimiter({
      points: 1,
      durationSeconds: 60,
      redis,
      keyPrefix: `test:ratelimit-spans:${randomUUID()}`,
    });
    const tracer = trace.getTracer("test");
    await tracer.startActiveSpan("tools/call search", async (parent) => {
      await limiter.consume("client-42");
      await expect(limiter.consume("client-42")).rejects.toBeInstanceOf(RateLimitExceededError);
      parent.end();
    });
    const [parent] = sdk.finished("tools/call search");
    const spans = sdk.finished("EVALSHA");
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
      expect(span.attributes).toMatchObject({
        "db.system.name": "redis",
        "db.operation.name": "EVALSHA",
      });
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(JSON.stringify(span.attributes)).not.toContain("client-42");
    }
  });
});
