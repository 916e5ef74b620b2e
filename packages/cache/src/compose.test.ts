import { withBreaker } from "@mcp-prod/breaker";
import { connectInMemory } from "@mcp-prod/testkit";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { CACHE_META_KEY, compose, createCache, withCache } from "./index.ts";

async function connect(server: McpServer): Promise<Client> {
  const { client, close } = await connectInMemory(server);
  onTestFinished(close);
  return client;
}

describe("compose with withCache", () => {
  it("answers repeated calls from the cache inside a breaker, keyed by the typed arguments", async () => {
    const cache = createCache({ name: "weather" });
    onTestFinished(() => cache.close());
    const cities: string[] = [];
    const server = new McpServer({ name: "weather", version: "1.0.0" });
    server.registerTool(
      "weather",
      { inputSchema: { city: z.string() } },
      compose(
        "weather",
        async ({ city }) => {
          cities.push(city);
          return { content: [{ type: "text", text: `sunny in ${city}` }] };
        },
        withBreaker({ consecutiveFailures: 3 }),
        withCache({ cache, key: ({ city }) => `weather:${city.toLowerCase()}`, ttlSeconds: 60 }),
      ),
    );
    const client = await connect(server);
    const first = await client.callTool({ name: "weather", arguments: { city: "Oslo" } });
    const second = await client.callTool({ name: "weather", arguments: { city: "OSLO" } });
    expect(first).toMatchObject({ _meta: { [CACHE_META_KEY]: { hit: false, source: "origin" } } });
    expect(second).toMatchObject({
      content: [{ type: "text", text: "sunny in Oslo" }],
      _meta: { [CACHE_META_KEY]: { hit: true, source: "l1" } },
    });
    expect(cities).toEqual(["Oslo"]);
    expect(await cache.get("weather:oslo")).toMatchObject({ content: [{ text: "sunny in Oslo" }] });
  });

  it("refuses the cache outside the breaker, naming both and the order", () => {
    const cache = createCache();
    onTestFinished(() => cache.close());
    const handler = async (args: { city: string }) => ({
      content: [{ type: "text", text: args.city }],
    });
    expect(() =>
      compose("weather", handler, withCache({ cache, key: ({ city }) => city }), withBreaker()),
    ).toThrow(
      /^compose\("weather"\) puts breaker inside cache; the order is .*breaker → bulkhead → timeout → cache/,
    );
  });

  it("checks the options when the policy is made", () => {
    expect(() => withCache(undefined as never)).toThrow(
      "Expected `options` to be an object, got undefined",
    );
    const handler = async () => ({ content: [] });
    expect(() => compose("t", handler, withCache({ cache: {} as never, key: () => "k" }))).toThrow(
      "Expected `cache` to be a cache from createCache()",
    );
  });
});
