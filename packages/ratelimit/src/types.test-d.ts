import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { Redis } from "ioredis";
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  createRateLimiter,
  type RateLimitExtra,
  type RateLimiter,
  type RateLimitResult,
  type RedisClientLike,
  withRateLimit,
} from "./index.ts";

describe("withRateLimit types", () => {
  it("keeps the argument types inferred from inputSchema inside registerTool", () => {
    const server = new McpServer({ name: "t", version: "1.0.0" });
    server.registerTool(
      "forecast",
      { inputSchema: { city: z.string(), days: z.number() } },
      withRateLimit(
        async ({ city, days }, extra) => {
          expectTypeOf(city).toEqualTypeOf<string>();
          expectTypeOf(days).toEqualTypeOf<number>();
          expectTypeOf(extra.sessionId).toEqualTypeOf<string | undefined>();
          return { content: [{ type: "text", text: city }] };
        },
        { points: 10, durationSeconds: 60 },
      ),
    );
  });

  it("returns the handler's own type", () => {
    const handler = async (args: { q: string }, _extra: unknown) => ({
      content: [{ type: "text" as const, text: args.q }],
    });
    expectTypeOf(withRateLimit(handler, { points: 1, durationSeconds: 1 })).toEqualTypeOf(handler);
  });

  it("accepts the issue's key function and rejects a limiter mixed with limiter options", () => {
    const limiter = createRateLimiter({ points: 1, durationSeconds: 1 });
    const handler = async () => ({ content: [] });
    withRateLimit(handler, {
      points: 5,
      durationSeconds: 60,
      key: (_args, extra) => extra.authInfo?.clientId ?? extra.sessionId,
    });
    withRateLimit(handler, { limiter, tool: "search" });
    // @ts-expect-error a shared limiter already has its points
    withRateLimit(handler, { limiter, points: 5 });
    expectTypeOf<
      Parameters<NonNullable<Parameters<typeof withRateLimit>[1]["key"]>>[1]
    >().toEqualTypeOf<RateLimitExtra>();
  });
});

describe("createRateLimiter types", () => {
  it("takes an ioredis client as `redis`", () => {
    expectTypeOf<Redis>().toExtend<RedisClientLike>();
    const limiter = createRateLimiter({
      points: 1,
      durationSeconds: 1,
      redis: new Redis({ lazyConnect: true }),
    });
    expectTypeOf(limiter.consume("k")).resolves.toEqualTypeOf<RateLimitResult>();
    expectTypeOf(limiter.name).toEqualTypeOf<string>();
  });
});

describe("the contract @mcp-prod/telemetry observes", () => {
  it("has a name and on(event, listener) for `limited` and `error`", () => {
    type Observed = {
      readonly name: string;
      // biome-ignore lint/suspicious/noExplicitAny: telemetry's own loose listener type
      on(event: "limited" | "error", listener: (...args: any[]) => void): unknown;
    };
    expectTypeOf<RateLimiter>().toExtend<Observed>();
    const limiter = createRateLimiter({ points: 1, durationSeconds: 1 });
    limiter.on("limited", (event) => {
      expectTypeOf(event).toEqualTypeOf<{ readonly key: string; readonly retryAfterMs: number }>();
    });
  });
});
