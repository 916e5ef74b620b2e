import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { compose, createRateLimiter, type ToolPolicy, withRateLimit } from "./index.ts";

type Handler = (
  args: { city: string },
  extra: { signal: AbortSignal },
) => Promise<{ content: Array<{ type: "text"; text: string }> }>;
declare const handler: Handler;

describe("withRateLimit policy form", () => {
  it("types key's arguments from the handler compose gives it", () => {
    const limiter = createRateLimiter({ points: 10, durationSeconds: 60 });
    const composed = compose(
      "forecast",
      handler,
      withRateLimit({
        limiter,
        key: (args, extra) => {
          expectTypeOf(args).toEqualTypeOf<{ city: string }>();
          expectTypeOf(extra).toEqualTypeOf<{ signal: AbortSignal }>();
          return args.city;
        },
      }),
    );
    expectTypeOf(composed).toEqualTypeOf<Handler>();
    // @ts-expect-error a shared limiter already has its points
    withRateLimit({ limiter, points: 5 });
    expectTypeOf(withRateLimit({ limiter, tool: false })).toEqualTypeOf<ToolPolicy>();
  });

  it("types args from the inputSchema of an inline handler", () => {
    const server = new McpServer({ name: "t", version: "1.0.0" });
    server.registerTool(
      "forecast",
      { inputSchema: { city: z.string() } },
      compose(
        "forecast",
        async ({ city }) => ({ content: [{ type: "text", text: city }] }),
        withRateLimit({
          points: 5,
          durationSeconds: 60,
          key: (args) => {
            expectTypeOf(args).toEqualTypeOf<{ city: string }>();
            return args.city;
          },
        }),
      ),
    );
  });
});
