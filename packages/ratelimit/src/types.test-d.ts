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

  it("types `key`'s parameters from the handler, as withCache does", () => {
    const limiter = createRateLimiter({ points: 1, durationSeconds: 1 });
    const handler = async (args: { tenant: string }, _extra: RateLimitExtra) => ({
      content: [{ type: "text" as const, text: args.tenant }],
    });
    withRateLimit(handler, {
      points: 5,
      durationSeconds: 60,
      key: (args, extra) => {
        expectTypeOf(args).toEqualTypeOf<{ tenant: string }>();
        expectTypeOf(extra).toEqualTypeOf<RateLimitExtra>();
        return extra.authInfo?.clientId ?? args.tenant;
      },
    });
    // @ts-expect-error `args` has no `city`
    withRateLimit(handler, { limiter, key: (args) => args.city });
    withRateLimit(handler, { limiter, tool: "search" });
    // @ts-expect-error a shared limiter already has its points
    withRateLimit(handler, { limiter, points: 5 });
  });

  it("infers `key`'s args from the inputSchema inside registerTool", () => {
    const server = new McpServer({ name: "t", version: "1.0.0" });
    const limiter = createRateLimiter({ points: 1, durationSeconds: 1 });
    server.registerTool(
      "forecast",
      { inputSchema: { city: z.string() } },
      withRateLimit(async ({ city }, _extra) => ({ content: [{ type: "text", text: city }] }), {
        limiter,
        key: ({ city }, extra) => {
          expectTypeOf(city).toEqualTypeOf<string>();
          return extra.authInfo?.clientId ?? extra.sessionId ?? city;
        },
      }),
    );
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
