import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpServer as McpServerV2 } from "@modelcontextprotocol/server";
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { compose, type ToolHandler, type ToolPolicy } from "./index.ts";
import type {
  ToolContextV2,
  ToolExtraV1,
  ToolHandlerV1,
  ToolHandlerV2,
} from "./sdk-handler-types.ts";

/** A policy typed from the handler it wraps, as withCache's `key` is. */
declare function keyed<H extends ToolHandler>(options: {
  key: (...params: Parameters<H>) => string;
}): ToolPolicy<H>;

describe("ToolHandlerV1", () => {
  const inputSchema = { city: z.string(), days: z.number().optional() };

  it("types a handler built once outside registerTool, and registerTool on SDK 1.x takes it", () => {
    const forecast = compose<ToolHandlerV1<typeof inputSchema>>(
      "forecast",
      async ({ city, days }, extra) => {
        expectTypeOf(city).toEqualTypeOf<string>();
        expectTypeOf(days).toEqualTypeOf<number | undefined>();
        expectTypeOf(extra.signal).toEqualTypeOf<AbortSignal>();
        expectTypeOf(extra.sessionId).toEqualTypeOf<string | undefined>();
        expectTypeOf(extra.authInfo?.clientId).toEqualTypeOf<string | undefined>();
        return { content: [{ type: "text", text: `Sunny in ${city}` }] };
      },
      keyed({ key: ({ city }) => `forecast:${city}` }),
    );
    const server = new McpServer({ name: "weather", version: "1.0.0" });
    server.registerTool("forecast", { inputSchema }, forecast);
  });

  it("types a handler without arguments as (extra)", () => {
    const ping: ToolHandlerV1 = async (extra) => {
      expectTypeOf(extra).toEqualTypeOf<ToolExtraV1>();
      return { content: [{ type: "text", text: "pong" }], isError: false };
    };
    new McpServer({ name: "ping", version: "1.0.0" }).registerTool("ping", {}, ping);
  });

  it("refuses a result registerTool would refuse", () => {
    // @ts-expect-error a text block needs its text
    const broken: ToolHandlerV1<typeof inputSchema> = async () => ({ content: [{ type: "text" }] });
    void broken;
  });
});

describe("ToolHandlerV2", () => {
  const inputSchema = z.object({ city: z.string() });

  it("types a handler built once outside registerTool, and registerTool on SDK 2.x takes it", () => {
    const forecast = compose<ToolHandlerV2<typeof inputSchema>>(
      "forecast",
      async ({ city }, ctx) => {
        expectTypeOf(city).toEqualTypeOf<string>();
        expectTypeOf(ctx.mcpReq.signal).toEqualTypeOf<AbortSignal>();
        expectTypeOf(ctx.http?.authInfo?.clientId).toEqualTypeOf<string | undefined>();
        return { content: [{ type: "text", text: `Sunny in ${city}` }] };
      },
      keyed({ key: ({ city }) => `forecast:${city}` }),
    );
    const server = new McpServerV2({ name: "weather", version: "1.0.0" });
    server.registerTool("forecast", { inputSchema }, forecast);
  });

  it("types a handler without arguments as (ctx)", () => {
    const ping: ToolHandlerV2 = async (ctx) => {
      expectTypeOf(ctx).toEqualTypeOf<ToolContextV2>();
      return { content: [{ type: "text", text: "pong" }] };
    };
    new McpServerV2({ name: "ping", version: "1.0.0" }).registerTool("ping", {}, ping);
  });
});
