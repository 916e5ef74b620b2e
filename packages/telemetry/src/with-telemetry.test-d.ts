import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { compose, createTelemetry, type ToolPolicy, withTelemetry } from "./index.ts";

describe("withTelemetry types", () => {
  it("returns the handler's type with a handler and a policy without", () => {
    const telemetry = createTelemetry({ serviceName: "t" });
    const handler = async (args: { city: string }) => ({
      content: [{ type: "text", text: args.city }],
    });
    expectTypeOf(withTelemetry(handler, { telemetry, name: "forecast" })).toEqualTypeOf<
      typeof handler
    >();
    expectTypeOf(withTelemetry({ telemetry })).toEqualTypeOf<ToolPolicy>();
    // @ts-expect-error the handler form needs the tool's name
    withTelemetry(handler, { telemetry });
  });

  it("keeps an inline handler's arguments inferred through compose", () => {
    const telemetry = createTelemetry({ serviceName: "t" });
    const server = new McpServer({ name: "t", version: "1.0.0" });
    server.registerTool(
      "forecast",
      { inputSchema: { city: z.string() } },
      compose(
        "forecast",
        async ({ city }) => {
          expectTypeOf(city).toEqualTypeOf<string>();
          return { content: [{ type: "text", text: city }] };
        },
        withTelemetry({ telemetry }),
      ),
    );
  });
});
