import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { BREAKER_META_KEY, createBreaker, withBreaker, withTimeout } from "./index.ts";
import { connect, textOf } from "./mcp.test-helpers.ts";

const cleanups: Array<() => unknown> = [];
beforeEach(() => {
  vi.useFakeTimers({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "performance", "Date"],
  });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.useRealTimers();
});

/** A handler that never finishes on its own and records how its signal was aborted. */
function hanging() {
  const seen: { reason?: unknown } = {};
  const handler = (extra: { signal: AbortSignal }) =>
    new Promise<never>((_resolve, reject) => {
      extra.signal.addEventListener("abort", () => {
        seen.reason = extra.signal.reason;
        reject(extra.signal.reason);
      });
    });
  return { handler, seen };
}

describe("withTimeout", () => {
  it("aborts the handler's signal at the deadline and answers an isError result saying the tool timed out", async () => {
    const { handler, seen } = hanging();
    const mcp = new McpServer({ name: "timeout-test", version: "1.0.0" });
    mcp.registerTool("report", {}, withTimeout(handler, 2000));
    const { client, close } = await connect(mcp);
    cleanups.push(close);
    const call = client.callTool({ name: "report" });
    await vi.advanceTimersByTimeAsync(1999);
    expect(seen.reason).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(await call).toEqual({
      content: [{ type: "text", text: "Tool timed out after 2000ms" }],
      isError: true,
      _meta: { [BREAKER_META_KEY]: { timedOut: true, timeoutMs: 2000 } },
    });
    expect(seen.reason).toMatchObject({ name: "BreakerTimeoutError", code: "ETIMEDOUT" });
  });

  it("returns a handler's own result untouched when it finishes in time", async () => {
    const mcp = new McpServer({ name: "timeout-test", version: "1.0.0" });
    mcp.registerTool(
      "add",
      { inputSchema: { a: z.number(), b: z.number() } },
      withTimeout(async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }), {
        timeoutMs: 500,
        message: "too slow",
      }),
    );
    const { client, close } = await connect(mcp);
    cleanups.push(close);
    const result = await client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
    expect(result).toEqual({ content: [{ type: "text", text: "5" }] });
  });

  it("propagates a client's cancellation instead of answering", async () => {
    const { handler, seen } = hanging();
    const mcp = new McpServer({ name: "timeout-test", version: "1.0.0" });
    mcp.registerTool("report", {}, withTimeout(handler, 2000));
    const { client, close } = await connect(mcp);
    cleanups.push(close);
    const controller = new AbortController();
    const call = client.callTool({ name: "report" }, undefined, { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(10);
    controller.abort(new Error("stop"));
    await expect(call).rejects.toThrow("stop");
    await vi.advanceTimersByTimeAsync(10);
    expect(seen.reason).toBeDefined();
    expect(seen.reason).not.toMatchObject({ code: "ETIMEDOUT" });
  });

  it("lets a breaker outside it count the timed-out result as a failure", async () => {
    const { handler } = hanging();
    const breaker = createBreaker(async () => undefined, { timeout: false });
    cleanups.push(() => breaker.close());
    const mcp = new McpServer({ name: "timeout-test", version: "1.0.0" });
    mcp.registerTool("report", {}, withBreaker(withTimeout(handler, 100), { breaker }));
    const { client, close } = await connect(mcp);
    cleanups.push(close);
    const call = client.callTool({ name: "report" });
    await vi.advanceTimersByTimeAsync(100);
    expect(textOf(await call)).toBe("Tool timed out after 100ms");
    expect(breaker.state).toBe("open");
  });

  it("rejects an invalid deadline with a TypeError naming it", () => {
    const handler = async () => ({ content: [] });
    expect(() => withTimeout(handler, 0)).toThrow(
      new TypeError("Expected `timeout` to be a positive finite number, got 0"),
    );
    expect(() => withTimeout(handler, { timeoutMs: Number.NaN })).toThrow(
      new TypeError("Expected `timeoutMs` to be a positive finite number, got NaN"),
    );
  });
});
