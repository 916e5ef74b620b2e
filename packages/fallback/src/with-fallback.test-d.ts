import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpServer as McpServer2 } from "@modelcontextprotocol/server";
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { fallbackChain, fetchWithFallback, withFallback } from "./index.ts";

describe("withFallback types", () => {
  it("keeps the args inferred from inputSchema on a 1.x McpServer, for handler and fallback", () => {
    const server = new McpServer({ name: "t", version: "1.0.0" });
    server.registerTool(
      "forecast",
      { inputSchema: { city: z.string() } },
      withFallback(
        async ({ city }, extra) => {
          expectTypeOf(city).toEqualTypeOf<string>();
          expectTypeOf(extra.signal).toEqualTypeOf<AbortSignal>();
          return { content: [{ type: "text", text: city }] };
        },
        async ({ city }) => {
          expectTypeOf(city).toEqualTypeOf<string>();
          return { content: [{ type: "text", text: `cached ${city}` }] };
        },
      ),
    );
  });

  it("accepts a handler without inputSchema and a static fallback on a 1.x McpServer", () => {
    const server = new McpServer({ name: "t", version: "1.0.0" });
    server.registerTool(
      "status",
      {},
      withFallback(
        async (extra) => {
          expectTypeOf(extra.signal).toEqualTypeOf<AbortSignal>();
          return { content: [{ type: "text", text: "up" }] };
        },
        { content: [{ type: "text", text: "unknown" }] },
      ),
    );
  });

  it("keeps ctx typed on a 2.x McpServer", () => {
    const server = new McpServer2({ name: "t", version: "1.0.0" });
    server.registerTool(
      "forecast",
      { inputSchema: z.object({ city: z.string() }) },
      withFallback(
        async ({ city }, ctx) => {
          expectTypeOf(city).toEqualTypeOf<string>();
          expectTypeOf(ctx.mcpReq.signal).toEqualTypeOf<AbortSignal>();
          return { content: [{ type: "text", text: city }] };
        },
        [async ({ city }) => ({ content: [{ type: "text", text: city }] }), { content: [] }],
      ),
    );
  });

  it("types a fixed result's content as the SDK's content blocks", () => {
    const server = new McpServer({ name: "t", version: "1.0.0" });
    const handler = async () => ({ content: [{ type: "text" as const, text: "live" }] });
    server.registerTool(
      "status",
      {},
      withFallback(handler, {
        content: [
          { type: "text", text: "cached" },
          { type: "image", data: "iVBORw0KGgo=", mimeType: "image/png" },
          { type: "resource_link", uri: "file:///status.json", name: "status" },
        ],
      }),
    );
    // @ts-expect-error "txt" is no content type: the client would get `Invalid tools/call result`
    withFallback(handler, { content: [{ type: "txt", text: "cached" }] });
    // @ts-expect-error an image needs its mimeType
    withFallback(handler, { content: [{ type: "image", data: "iVBORw0KGgo=" }] });
    // @ts-expect-error a list of fallbacks is checked the same way
    withFallback(handler, [
      async () => ({ content: [] }),
      { content: [{ type: "txt", text: "x" }] },
    ]);
  });

  it("returns the handler's own type", () => {
    const handler = async (args: { id: number }, _extra: { signal: AbortSignal }) => ({
      content: [{ type: "text" as const, text: String(args.id) }],
    });
    expectTypeOf(withFallback(handler, { content: [] })).toEqualTypeOf<typeof handler>();
  });
});

describe("fetchWithFallback types", () => {
  it("infers the result from the attempts", () => {
    expectTypeOf(
      fetchWithFallback(
        async () => 1,
        () => 2,
      ),
    ).toEqualTypeOf<Promise<number>>();
    expectTypeOf(fallbackChain([async () => "a", () => "b"])).toEqualTypeOf<Promise<string>>();
  });

  it("rejects a fallback of another type", () => {
    const primary = async () => 1;
    const fallback = () => "two";
    // @ts-expect-error the fallback must produce what the primary produces
    fetchWithFallback(primary, fallback);
  });
});

describe("withFallback with an outputSchema", () => {
  const outputSchema = z.object({ temperature: z.number() });
  const handler = async (_args: { city: string }) => ({
    content: [{ type: "text" as const, text: "4" }],
    structuredContent: { temperature: 4 },
  });

  it("accepts a fixed result with matching structuredContent, or an isError result", () => {
    withFallback(handler, { content: [], structuredContent: { temperature: 0 } }, { outputSchema });
    withFallback(handler, { content: [], isError: true }, { outputSchema });
  });

  it("keeps the args inferred inside registerTool when an outputSchema is given", () => {
    const server = new McpServer({ name: "t", version: "1.0.0" });
    server.registerTool(
      "temperature",
      { inputSchema: { city: z.string() }, outputSchema: outputSchema.shape },
      withFallback(
        async ({ city }, extra) => {
          expectTypeOf(city).toEqualTypeOf<string>();
          expectTypeOf(extra.signal).toEqualTypeOf<AbortSignal>();
          return { content: [], structuredContent: { temperature: city.length } };
        },
        [async ({ city }) => ({ content: [], structuredContent: { temperature: city.length } })],
        { outputSchema, timeoutMs: 1000 },
      ),
    );
  });

  it("rejects a fixed result without structuredContent or with the wrong shape", () => {
    // @ts-expect-error a tool with an outputSchema needs structuredContent
    withFallback(handler, { content: [] }, { outputSchema });
    // @ts-expect-error temperature must be a number
    withFallback(
      handler,
      { content: [], structuredContent: { temperature: "warm" } },
      { outputSchema },
    );
  });
});
