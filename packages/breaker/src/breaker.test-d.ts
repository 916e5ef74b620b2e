import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpServer as McpServer2 } from "@modelcontextprotocol/server";
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  type Breaker,
  type BreakerCall,
  type BreakerStats,
  createBreaker,
  createBreakerGroup,
  type SharedBreaker,
  type ToolHandler,
  withBreaker,
} from "./index.ts";

type Forecast = { city: string; celsius: number };
declare function fetchFromApi(params: { city: string }): Promise<Forecast>;

describe("types", () => {
  it("types fire from the action's parameters and result", () => {
    const breaker = createBreaker(fetchFromApi, { name: "api" });
    expectTypeOf(breaker).toEqualTypeOf<Breaker<[params: { city: string }], Forecast>>();
    expectTypeOf(breaker.fire({ city: "Oslo" })).toEqualTypeOf<Promise<Forecast>>();
    // @ts-expect-error wrong parameter type
    void breaker.fire({ town: "Oslo" });
  });

  it("types a breaker without an action by what execute runs, and gives it no fire", () => {
    const breaker = createBreaker({ name: "upstream" });
    expectTypeOf(breaker).toEqualTypeOf<SharedBreaker>();
    expectTypeOf(breaker.execute(async () => 42)).toEqualTypeOf<Promise<number>>();
    // @ts-expect-error a breaker without an action has nothing to fire
    void breaker.fire();
  });

  it("drops the call context from fire's parameters for an abortable action", () => {
    const breaker = createBreaker(
      async (call: BreakerCall, id: number) => call.signal.aborted && id > 0,
      {
        abortable: true,
      },
    );
    expectTypeOf(breaker.fire).parameters.toEqualTypeOf<[id: number]>();
    expectTypeOf(breaker.fire(1)).toEqualTypeOf<Promise<boolean>>();
    const group = createBreakerGroup(async ({ signal }, url: string) => signal.aborted || url, {
      abortable: true,
    });
    expectTypeOf(group.fire("host", "https://x")).toEqualTypeOf<Promise<string | true>>();
  });

  it("has the stats shape telemetry reads", () => {
    expectTypeOf<BreakerStats>().toEqualTypeOf<{
      readonly state: "closed" | "open" | "halfOpen";
      readonly successes: number;
      readonly failures: number;
      readonly rejects: number;
      readonly timeouts: number;
      readonly latencyMean: number;
      readonly latencyP99: number;
    }>();
  });

  it("returns the handler's own type, so registerTool still infers the arguments (SDK 1.x and 2.x)", () => {
    const server = new McpServer({ name: "s", version: "1" });
    server.registerTool(
      "forecast",
      { inputSchema: { city: z.string() } },
      withBreaker(
        async ({ city }, extra) => {
          expectTypeOf(city).toEqualTypeOf<string>();
          expectTypeOf(extra.signal).toEqualTypeOf<AbortSignal>();
          return { content: [{ type: "text", text: city }] };
        },
        { timeout: 5000 },
      ),
    );
    const server2 = new McpServer2({ name: "s", version: "2" });
    server2.registerTool(
      "forecast",
      { inputSchema: z.object({ city: z.string() }) },
      withBreaker(async ({ city }, ctx) => {
        expectTypeOf(city).toEqualTypeOf<string>();
        expectTypeOf(ctx.mcpReq.signal).toEqualTypeOf<AbortSignal>();
        return { content: [{ type: "text", text: city }] };
      }),
    );
  });

  it("keeps a handler's own type and refuses what is not a tool handler", () => {
    const handler = async (args: { id: string }, extra: { signal: AbortSignal }) => ({
      content: [{ type: "text" as const, text: args.id + extra.signal.aborted }],
    });
    expectTypeOf(withBreaker(handler)).toEqualTypeOf<typeof handler>();
    expectTypeOf(handler).toExtend<ToolHandler>();
    // @ts-expect-error a handler must be a function
    withBreaker(42);
  });
});
