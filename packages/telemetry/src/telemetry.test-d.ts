import { Emitter } from "@mcp-prod/internal";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import * as Sentry from "@sentry/node";
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import type { BreakerEvents } from "./observed-contracts.ts";
import { type SentryLike, sentryReporter } from "./sentry.ts";
import { createTelemetry } from "./telemetry.ts";

const telemetry = createTelemetry({ serviceName: "svc" });

describe("telemetry.wrap types", () => {
  it("returns exactly the handler's type", () => {
    const handler = async (args: { city: string }, _extra: { signal: AbortSignal }) => ({
      content: [{ type: "text" as const, text: args.city }],
    });
    expectTypeOf(telemetry.wrap("weather", handler)).toEqualTypeOf<typeof handler>();
  });

  it("lets registerTool type an inline handler's arguments from its inputSchema", () => {
    const server = new McpServer({ name: "x", version: "1.0.0" });
    server.registerTool(
      "search_users",
      { inputSchema: { query: z.string(), limit: z.number().optional() } },
      telemetry.wrap("search_users", async ({ query, limit }, extra) => {
        expectTypeOf(query).toEqualTypeOf<string>();
        expectTypeOf(limit).toEqualTypeOf<number | undefined>();
        expectTypeOf(extra.signal).toEqualTypeOf<AbortSignal>();
        return { content: [{ type: "text", text: query }] } satisfies CallToolResult;
      }),
    );
  });

  it("rejects what is not a function", () => {
    // @ts-expect-error a handler must be a function
    telemetry.wrap("tool", { content: [] });
  });
});

describe("structural observers and reporters", () => {
  it("accept objects built on the mcp-prod Emitter", () => {
    const events = new Emitter<BreakerEvents & { open: () => void }>();
    const breaker = {
      name: "b",
      on: events.on.bind(events),
      stats: () => ({ state: "closed" as const, successes: 0 }),
    };
    expectTypeOf(telemetry.observeBreaker).toBeCallableWith(breaker);
    const cacheEvents = new Emitter<{
      hit: (event: { key: string; tier: "l1" | "l2" }) => void;
      miss: (event: { key: string; tier: "l1" | "l2" }) => void;
      stale: (event: { key: string }) => void;
      error: (event: { operation: "get" | "set"; error: Error }) => void;
      set: (event: { key: string }) => void;
    }>();
    const cache = { name: "c", on: cacheEvents.on.bind(cacheEvents) };
    expectTypeOf(telemetry.observeCache).toBeCallableWith(cache);
    const incompletePool = { name: "p", on: cache.on, stats: () => ({ total: 1 }) };
    // @ts-expect-error stats() lacks idle, waiting and max
    telemetry.observePool(incompletePool);
    // @ts-expect-error an observed object needs a name
    telemetry.observeRateLimiter({ on: cache.on });
  });

  it("accept the @sentry/node module as it is", () => {
    expectTypeOf(Sentry).toExtend<SentryLike>();
    expectTypeOf(sentryReporter).toBeCallableWith(Sentry);
  });
});
