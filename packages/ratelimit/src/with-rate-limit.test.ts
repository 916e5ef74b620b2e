import { connectInMemory } from "@mcp-prod/testkit";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import {
  createRateLimiter,
  RATE_LIMIT_META_KEY,
  type RateLimiter,
  type RateLimitMeta,
  type ToolResult,
  withRateLimit,
} from "./index.ts";

/**
 * One connected client per caller, each on its own McpServer (as a stateless
 * HTTP server builds per request) with `authInfo` set the way an HTTP
 * transport would after verifying a token.
 */
async function connectClient(
  clientId: string | undefined,
  register: (server: McpServer) => void,
): Promise<Client> {
  const server = new McpServer({ name: "test-server", version: "1.0.0" });
  register(server);
  const { client, close } = await connectInMemory(
    server,
    clientId === undefined
      ? {}
      : { authInfo: { token: `token-${clientId}`, clientId, scopes: [] } },
  );
  onTestFinished(close);
  return client;
}

function textOf(result: Awaited<ReturnType<Client["callTool"]>>): string {
  const [first] = result.content as Array<{ type: string; text: string }>;
  return first?.text ?? "";
}

describe("withRateLimit with the SDK McpServer and Client", () => {
  function registerForecast(limiter: RateLimiter, calls: string[]) {
    return (server: McpServer) => {
      server.registerTool(
        "forecast",
        { inputSchema: { city: z.string() } },
        withRateLimit(
          async ({ city }, extra) => {
            calls.push(`${extra.authInfo?.clientId}:${city}`);
            return { content: [{ type: "text", text: `Sunny in ${city}` }] };
          },
          { limiter, key: (_args, extra) => extra.authInfo?.clientId ?? extra.sessionId },
        ),
      );
    };
  }

  it("returns an isError result with retry-after text and _meta once a client is over its limit, without calling the handler", async () => {
    const limiter = createRateLimiter({ points: 2, durationSeconds: 60 });
    const calls: string[] = [];
    const alice = await connectClient("alice", registerForecast(limiter, calls));

    const first = await alice.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    await alice.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    const refused = await alice.callTool({ name: "forecast", arguments: { city: "Oslo" } });

    expect(first.isError).toBeFalsy();
    expect(textOf(first)).toBe("Sunny in Oslo");
    expect(first._meta?.[RATE_LIMIT_META_KEY]).toEqual({
      limited: false,
      limit: 2,
      remainingPoints: 1,
      store: "memory",
    } satisfies RateLimitMeta);
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(
      /^Rate limit exceeded, retry after (\d+) s \(limit: 2 per 60 s\)\.$/,
    );
    const meta = refused._meta?.[RATE_LIMIT_META_KEY] as Extract<RateLimitMeta, { limited: true }>;
    expect(meta).toMatchObject({ limited: true, limit: 2, durationSeconds: 60 });
    expect(meta.retryAfterMs).toBeGreaterThan(0);
    expect(meta.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(textOf(refused)).toContain(`retry after ${meta.retryAfterSeconds} s`);
    expect(calls).toEqual(["alice:Oslo", "alice:Oslo"]);
  });

  it("limits each client on its own: a client over its rate does not affect another", async () => {
    const limiter = createRateLimiter({ points: 1, durationSeconds: 60 });
    const calls: string[] = [];
    const alice = await connectClient("alice", registerForecast(limiter, calls));
    const bob = await connectClient("bob", registerForecast(limiter, calls));

    await alice.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    const aliceAgain = await alice.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    const bobFirst = await bob.callTool({ name: "forecast", arguments: { city: "Rome" } });

    expect(aliceAgain.isError).toBe(true);
    expect(bobFirst.isError).toBeFalsy();
    expect(textOf(bobFirst)).toBe("Sunny in Rome");
    expect(calls).toEqual(["alice:Oslo", "bob:Rome"]);
  });

  it("limits per tool with the `tool` option: one limiter, separate budgets per tool", async () => {
    const limiter = createRateLimiter({ points: 1, durationSeconds: 60 });
    const client = await connectClient("alice", (server) => {
      for (const name of ["search", "report"]) {
        server.registerTool(
          name,
          {},
          withRateLimit(async () => ({ content: [{ type: "text", text: name }] }), {
            limiter,
            tool: name,
          }),
        );
      }
    });
    const limited: string[] = [];
    limiter.on("limited", ({ key }) => limited.push(key));

    expect((await client.callTool({ name: "search" })).isError).toBeFalsy();
    expect((await client.callTool({ name: "search" })).isError).toBe(true);
    const report = await client.callTool({ name: "report" });
    expect(report.isError).toBeFalsy();
    expect(textOf(report)).toBe("report");
    // The default key is the authenticated client id.
    expect(limited).toEqual(["search:alice"]);
  });

  it("counts calls without identity under one shared `anonymous` key", async () => {
    const limiter = createRateLimiter({ points: 1, durationSeconds: 60 });
    const limited: string[] = [];
    limiter.on("limited", ({ key }) => limited.push(key));
    const register = (server: McpServer) =>
      server.registerTool(
        "ping",
        {},
        withRateLimit(async () => ({ content: [{ type: "text", text: "pong" }] }), { limiter }),
      );
    const first = await connectClient(undefined, register);
    const second = await connectClient(undefined, register);
    expect((await first.callTool({ name: "ping" })).isError).toBeFalsy();
    expect((await second.callTool({ name: "ping" })).isError).toBe(true);
    expect(limited).toEqual(["anonymous"]);
  });

  it("keeps its count across wrappers when created from inline options once", async () => {
    const calls: string[] = [];
    const handler = withRateLimit(
      async ({ city }: { city: string }) => {
        calls.push(city);
        return { content: [{ type: "text" as const, text: city }] };
      },
      { points: 1, durationSeconds: 60, key: (args) => (args as { city: string }).city },
    );
    const client = await connectClient("alice", (server) =>
      server.registerTool("echo", { inputSchema: { city: z.string() } }, handler),
    );
    await client.callTool({ name: "echo", arguments: { city: "Oslo" } });
    await client.callTool({ name: "echo", arguments: { city: "Rome" } });
    const refused = await client.callTool({ name: "echo", arguments: { city: "Oslo" } });
    expect(refused.isError).toBe(true);
    expect(calls).toEqual(["Oslo", "Rome"]);
  });
});

describe("withRateLimit called directly", () => {
  it("passes the parameters through unchanged and keeps the handler's result", async () => {
    const seen: unknown[][] = [];
    const extra = { sessionId: "s-1", signal: new AbortController().signal };
    const handler = withRateLimit(
      async (...params: unknown[]): Promise<ToolResult> => {
        seen.push(params);
        return { content: [{ type: "text", text: "ok" }], structuredContent: { ok: true } };
      },
      { points: 5, durationSeconds: 1 },
    );
    const result = await handler({ a: 1 }, extra);
    expect(seen).toEqual([[{ a: 1 }, extra]]);
    expect(seen[0]?.[1]).toBe(extra);
    expect(result.structuredContent).toEqual({ ok: true });
    expect(result._meta?.[RATE_LIMIT_META_KEY]).toMatchObject({
      limited: false,
      remainingPoints: 4,
    });
  });

  it("uses a custom `message` for the refusal text", async () => {
    const handler = withRateLimit(async (_args: unknown) => ({ content: [] }), {
      points: 1,
      durationSeconds: 60,
      message: (error) => `Slow down, try again in ${error.retryAfterSeconds}s`,
    });
    await handler({});
    const refused = await handler({});
    expect(refused.content).toEqual([{ type: "text", text: "Slow down, try again in 60s" }]);
  });

  it("rejects with the call's abort reason when the request was cancelled", async () => {
    const controller = new AbortController();
    const reason = new Error("cancelled by client");
    controller.abort(reason);
    let called = false;
    const handler = withRateLimit(
      async (_args: unknown, _extra: unknown) => {
        called = true;
        return { content: [] };
      },
      { points: 1, durationSeconds: 60 },
    );
    await expect(handler({}, { signal: controller.signal })).rejects.toBe(reason);
    expect(called).toBe(false);
  });

  it("throws a TypeError for a limiter mixed with limiter options, and for bad options", () => {
    const limiter = createRateLimiter({ points: 1, durationSeconds: 1 });
    const handler = async () => ({ content: [] });
    expect(() => withRateLimit(handler, { limiter, points: 2 } as never)).toThrow(
      new TypeError("Expected either `limiter` or limiter options, got both (`points`)"),
    );
    expect(() => withRateLimit(handler, { limiter, tool: "" })).toThrow(
      new TypeError('Expected `tool` to be a non-empty string, got ""'),
    );
    expect(() => withRateLimit(handler, { points: 1, durationSeconds: 0 })).toThrow(
      new TypeError("Expected `durationSeconds` to be a positive integer, got 0"),
    );
  });
});
