import { connectInMemory as connect, connectInMemory2 as connect2 } from "@mcp-prod/testkit";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpServer as McpServer2 } from "@modelcontextprotocol/server";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { textOf } from "./breaker.test-helpers.ts";
import {
  BREAKER_META_KEY,
  BreakerTimeoutError,
  breakerRegistry,
  compose,
  createBreaker,
  withBreaker,
} from "./index.ts";

/** A handler that runs until its signal aborts, and records why it was aborted. */
function hanging() {
  const reasons: unknown[] = [];
  const handler = async (
    { city }: { city: string },
    extra: { signal?: AbortSignal; mcpReq?: { signal: AbortSignal } },
  ) =>
    new Promise<{ content: Array<{ type: "text"; text: string }> }>((_resolve, reject) => {
      // 1.x passes the signal at extra.signal, 2.x at ctx.mcpReq.signal.
      const signal = (extra.signal ?? extra.mcpReq?.signal) as AbortSignal;
      if (city === "") reject(new Error("unreachable"));
      signal.addEventListener("abort", () => {
        reasons.push(signal.reason);
        reject(signal.reason);
      });
    });
  return { handler, reasons };
}

// Inline breakers are the process's one of their name: each test starts without any.
afterEach(() => breakerRegistry.clear());

describe("compose with withBreaker", () => {
  it("names the breaker after the tool, counts its timed-out calls, and answers for the open circuit", async () => {
    const { handler, reasons } = hanging();
    const mcp = new McpServer({ name: "compose-test", version: "1.0.0" });
    mcp.registerTool(
      "forecast",
      { inputSchema: { city: z.string() } },
      compose(
        "forecast",
        handler,
        withBreaker({ consecutiveFailures: 2, resetTimeout: 60_000, timeout: 20 }),
      ),
    );
    const { client, close } = await connect(mcp);
    onTestFinished(close);
    for (let index = 0; index < 2; index++) {
      const result = await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
      expect(result).toMatchObject({ isError: true });
      expect(textOf(result)).toBe('Breaker "forecast" timed out after 20ms');
    }
    expect(reasons).toHaveLength(2);
    expect(reasons.every((reason) => BreakerTimeoutError.isInstance(reason))).toBe(true);
    expect(reasons[0]).toMatchObject({ breakerName: "forecast", timeoutMs: 20 });
    const refused = await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    expect(refused).toMatchObject({ isError: true, _meta: { [BREAKER_META_KEY]: { open: true } } });
    expect(reasons).toHaveLength(2); // the open circuit did not run the handler
  });

  it("gives the breaker the tool's name unless the options name it, on SDK 2.x too", async () => {
    const { handler, reasons } = hanging();
    const mcp = new McpServer2({ name: "compose-test", version: "1.0.0" });
    mcp.registerTool(
      "forecast",
      { inputSchema: z.object({ city: z.string() }) },
      compose("forecast", handler, withBreaker({ timeout: 20 })),
    );
    mcp.registerTool(
      "history",
      { inputSchema: z.object({ city: z.string() }) },
      compose("history", handler, withBreaker({ name: "weather-api", timeout: 20 })),
    );
    const { client, close } = await connect2(mcp);
    onTestFinished(close);
    await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    await client.callTool({ name: "history", arguments: { city: "Oslo" } });
    expect(reasons.map((reason) => (reason as BreakerTimeoutError).breakerName)).toEqual([
      "forecast",
      "weather-api",
    ]);
  });

  it("shares a breaker given as `breaker` between composed tools", async () => {
    const breaker = createBreaker(() => undefined, { name: "upstream", consecutiveFailures: 2 });
    onTestFinished(() => breaker.close());
    const failing = async () => ({
      content: [{ type: "text" as const, text: "down" }],
      isError: true,
    });
    const mcp = new McpServer({ name: "compose-test", version: "1.0.0" });
    mcp.registerTool("a", {}, compose("a", failing, withBreaker({ breaker })));
    mcp.registerTool("b", {}, compose("b", failing, withBreaker({ breaker })));
    const { client, close } = await connect(mcp);
    onTestFinished(close);
    await client.callTool({ name: "a" });
    await client.callTool({ name: "b" });
    expect(breaker.state).toBe("open");
    expect(breaker.name).toBe("upstream");
  });

  it("refuses a breaker listed twice", () => {
    const { handler } = hanging();
    expect(() => compose("forecast", handler, withBreaker(), withBreaker())).toThrow(
      new TypeError('compose("forecast") lists the breaker policy twice'),
    );
  });

  it("checks the options of the policy form when it is called", () => {
    expect(() => withBreaker("fast" as never)).toThrow(
      'Expected `options` to be an object, got "fast"',
    );
    expect(() => withBreaker({ resetTimout: 10 } as never)).toThrow(
      "Unknown option `resetTimout` in withBreaker(); did you mean `resetTimeout`?",
    );
    const { handler } = hanging();
    expect(() => compose("forecast", handler, withBreaker({ consecutiveFailures: 0 }))).toThrow(
      "Expected `consecutiveFailures` to be a positive integer, got 0",
    );
  });
});
