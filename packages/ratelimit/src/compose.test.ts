import { withBreaker } from "@mcp-prod/breaker";
import { connectInMemory } from "@mcp-prod/testkit";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { compose, createRateLimiter, RATE_LIMIT_META_KEY, withRateLimit } from "./index.ts";

async function connect(server: McpServer): Promise<Client> {
  const { client, close } = await connectInMemory(server);
  onTestFinished(close);
  return client;
}

const answer = async ({ city }: { city: string }) => ({
  content: [{ type: "text" as const, text: `sunny in ${city}` }],
});

/** Calls each tool in turn and returns whether each call was refused. */
async function limitedCalls(client: Client, tools: string[]): Promise<boolean[]> {
  const limited: boolean[] = [];
  for (const name of tools) {
    const result = await client.callTool({ name, arguments: { city: "Oslo" } });
    limited.push(result.isError === true);
  }
  return limited;
}

describe("compose with withRateLimit", () => {
  it("limits each composed tool on its own with one shared limiter, the key prefixed by the tool's name", async () => {
    const limiter = createRateLimiter({ points: 2, durationSeconds: 60 });
    const keys: string[] = [];
    limiter.on("limited", ({ key }) => keys.push(key));
    const server = new McpServer({ name: "weather", version: "1.0.0" });
    for (const tool of ["forecast", "history"]) {
      server.registerTool(
        tool,
        { inputSchema: { city: z.string() } },
        compose(tool, answer, withRateLimit({ limiter, key: ({ city }) => city }), withBreaker()),
      );
    }
    const client = await connect(server);
    expect(await limitedCalls(client, ["forecast", "forecast", "history", "history"])).toEqual([
      false,
      false,
      false,
      false,
    ]);
    const refused = await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    expect(refused).toMatchObject({
      isError: true,
      _meta: { [RATE_LIMIT_META_KEY]: { limited: true, limit: 2 } },
    });
    expect(await limitedCalls(client, ["history"])).toEqual([true]);
    expect(keys).toEqual(["forecast:Oslo", "history:Oslo"]);
  });

  it("counts every tool against one limit per client with `tool: false`", async () => {
    const limiter = createRateLimiter({ points: 2, durationSeconds: 60 });
    const server = new McpServer({ name: "weather", version: "1.0.0" });
    for (const tool of ["forecast", "history"]) {
      server.registerTool(
        tool,
        { inputSchema: { city: z.string() } },
        compose(tool, answer, withRateLimit({ limiter, tool: false, key: () => "alice" })),
      );
    }
    const client = await connect(server);
    expect(await limitedCalls(client, ["forecast", "history", "history"])).toEqual([
      false,
      false,
      true,
    ]);
  });

  it("refuses the rate limit inside the breaker, naming both and the order", () => {
    expect(() =>
      compose("forecast", answer, withBreaker(), withRateLimit({ points: 1, durationSeconds: 1 })),
    ).toThrow(
      /^compose\("forecast"\) puts ratelimit inside breaker; the order is telemetry → ratelimit/,
    );
  });

  it("checks the options when the policy is made and applied", () => {
    expect(() => withRateLimit(undefined as never)).toThrow(
      "Expected `options` to be an object, got undefined",
    );
    expect(() => withRateLimit({ points: 1, durationSeconds: 1, tool: 3 as never })).toThrow(
      "Expected `tool` to be a string or false, got 3",
    );
    expect(() =>
      compose("forecast", answer, withRateLimit({ points: 0, durationSeconds: 1 })),
    ).toThrow(/`points`/);
  });
});
