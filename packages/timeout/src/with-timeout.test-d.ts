import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { compose, type ToolPolicy, withTimeout } from "./index.ts";

type Handler = (
  args: { city: string },
  extra: { signal: AbortSignal },
) => Promise<{ content: Array<{ type: "text"; text: string }> }>;
declare const handler: Handler;

describe("withTimeout's types", () => {
  it("returns the handler's own type with a handler and a policy without one", () => {
    expectTypeOf(withTimeout(handler, 1000)).toEqualTypeOf<Handler>();
    expectTypeOf(withTimeout(handler, { timeoutMs: 1000 })).toEqualTypeOf<Handler>();
    expectTypeOf(withTimeout(1000)).toEqualTypeOf<ToolPolicy>();
    expectTypeOf(compose("forecast", handler, withTimeout(1000))).toEqualTypeOf<Handler>();
    // @ts-expect-error a misspelt option
    withTimeout(handler, { timeoutMS: 1000 });
  });

  it("keeps an inline handler's arguments inferred from the tool's inputSchema", () => {
    const server = new McpServer({ name: "types", version: "1.0.0" });
    server.registerTool(
      "forecast",
      { inputSchema: { city: z.string() } },
      withTimeout(async ({ city }, { signal }) => {
        expectTypeOf(city).toEqualTypeOf<string>();
        expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
        return { content: [{ type: "text", text: city }] };
      }, 1000),
    );
  });
});
