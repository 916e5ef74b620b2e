import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpServer as McpServer2 } from "@modelcontextprotocol/server";
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { compose, type ToolPolicy, withBreaker } from "./index.ts";

type Handler = (
  args: { city: string },
  extra: { signal: AbortSignal },
) => Promise<{ content: Array<{ type: "text"; text: string }> }>;
declare const handler: Handler;

describe("policy forms", () => {
  it("returns a policy without a handler and the handler's type with one", () => {
    expectTypeOf(withBreaker({ timeout: 5000 })).toEqualTypeOf<ToolPolicy>();
    expectTypeOf(withBreaker()).toEqualTypeOf<ToolPolicy>();
    expectTypeOf(withBreaker(handler, { timeout: 5000 })).toEqualTypeOf<Handler>();
  });

  it("composes into the handler's own type", () => {
    const composed = compose("forecast", handler, withBreaker({ consecutiveFailures: 3 }));
    expectTypeOf(composed).toEqualTypeOf<Handler>();
    // @ts-expect-error a misspelt option is refused in the policy form too
    withBreaker({ resetTimout: 1000 });
    // @ts-expect-error compose takes policies, not handlers
    compose("forecast", handler, handler);
  });

  it("keeps an inline handler's arguments inferred from the tool's inputSchema", () => {
    const server = new McpServer({ name: "types", version: "1.0.0" });
    server.registerTool(
      "forecast",
      { inputSchema: { city: z.string(), days: z.number() } },
      compose(
        "forecast",
        async ({ city, days }, { signal }) => {
          expectTypeOf(city).toEqualTypeOf<string>();
          expectTypeOf(days).toEqualTypeOf<number>();
          expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
          return { content: [{ type: "text", text: city }] };
        },
        withBreaker({ timeout: 5000 }),
      ),
    );
    const server2 = new McpServer2({ name: "types", version: "1.0.0" });
    server2.registerTool(
      "forecast",
      { inputSchema: z.object({ city: z.string() }) },
      compose(
        "forecast",
        async ({ city }) => {
          expectTypeOf(city).toEqualTypeOf<string>();
          return { content: [{ type: "text", text: city }] };
        },
        withBreaker(),
      ),
    );
  });
});
