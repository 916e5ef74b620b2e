import { createBreaker, withBreaker } from "@mcp-prod/breaker";
import { connectInMemory, connectInMemory2 } from "@mcp-prod/testkit";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpServer as McpServer2 } from "@modelcontextprotocol/server";
import { beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { z } from "zod";
import { TIMEOUT_META_KEY, ToolTimeoutError, withTimeout } from "./index.ts";

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "performance", "Date"],
  });
  onTestFinished(() => {
    vi.useRealTimers();
  });
});

/** A handler that never finishes on its own and records how its signal was aborted. */
function hanging() {
  const seen: { reason?: unknown } = {};
  const handler = (extra: { signal?: AbortSignal; mcpReq?: { signal: AbortSignal } }) =>
    new Promise<never>((_resolve, reject) => {
      const signal = (extra.signal ?? extra.mcpReq?.signal) as AbortSignal;
      signal.addEventListener("abort", () => {
        seen.reason = signal.reason;
        reject(signal.reason);
      });
    });
  return { handler, seen };
}

function textOf(result: unknown): string | undefined {
  return (result as { content?: Array<{ text?: string }> }).content?.[0]?.text;
}

describe("withTimeout", () => {
  it("aborts the handler's signal at the deadline and answers an isError result saying the tool timed out", async () => {
    const { handler, seen } = hanging();
    const mcp = new McpServer({ name: "timeout-test", version: "1.0.0" });
    mcp.registerTool("report", {}, withTimeout(handler, 2000));
    const { client, close } = await connectInMemory(mcp);
    onTestFinished(close);
    const call = client.callTool({ name: "report" });
    await vi.advanceTimersByTimeAsync(1999);
    expect(seen.reason).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(await call).toEqual({
      content: [{ type: "text", text: "Tool timed out after 2000ms" }],
      isError: true,
      _meta: { [TIMEOUT_META_KEY]: { timedOut: true, timeoutMs: 2000 } },
    });
    expect(ToolTimeoutError.isInstance(seen.reason)).toBe(true);
    expect(seen.reason).toMatchObject({ code: "ETOOLTIMEOUT", tool: "handler", timeoutMs: 2000 });
  });

  it("does the same on SDK 2.x, with the signal at ctx.mcpReq.signal", async () => {
    const { handler, seen } = hanging();
    const mcp = new McpServer2({ name: "timeout-test", version: "1.0.0" });
    mcp.registerTool("report", {}, withTimeout(handler, { timeoutMs: 500, name: "report" }));
    const { client, close } = await connectInMemory2(mcp);
    onTestFinished(close);
    const call = client.callTool({ name: "report" });
    await vi.advanceTimersByTimeAsync(500);
    expect(textOf(await call)).toBe("Tool timed out after 500ms");
    expect(seen.reason).toMatchObject({ name: "ToolTimeoutError", tool: "report" });
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
    const { client, close } = await connectInMemory(mcp);
    onTestFinished(close);
    const result = await client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
    expect(result).toEqual({ content: [{ type: "text", text: "5" }] });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("propagates a client's cancellation instead of answering", async () => {
    const { handler, seen } = hanging();
    const mcp = new McpServer({ name: "timeout-test", version: "1.0.0" });
    mcp.registerTool("report", {}, withTimeout(handler, 2000));
    const { client, close } = await connectInMemory(mcp);
    onTestFinished(close);
    const controller = new AbortController();
    const call = client.callTool({ name: "report" }, undefined, { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(10);
    controller.abort(new Error("stop"));
    await expect(call).rejects.toThrow("stop");
    await vi.advanceTimersByTimeAsync(10);
    expect(seen.reason).toBeDefined();
    expect(ToolTimeoutError.isInstance(seen.reason)).toBe(false);
  });

  it("lets a breaker outside it count the timed-out result as a failure", async () => {
    const { handler } = hanging();
    const breaker = createBreaker(async () => undefined, {
      timeout: false,
      consecutiveFailures: 1,
    });
    onTestFinished(() => breaker.close());
    const mcp = new McpServer({ name: "timeout-test", version: "1.0.0" });
    mcp.registerTool("report", {}, withBreaker(withTimeout(handler, 100), { breaker }));
    const { client, close } = await connectInMemory(mcp);
    onTestFinished(close);
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
    expect(() => withTimeout(handler, undefined as never)).toThrow(
      "Expected `timeout` to be milliseconds or `{ timeoutMs }`, got undefined: withTimeout(handler, 5000)",
    );
    // A duration as text is milliseconds misspelt, not an options object.
    expect(() => withTimeout(handler, "5s" as never)).toThrow(
      new TypeError(
        'Expected `timeout` to be milliseconds or `{ timeoutMs }`, got "5s": withTimeout(handler, 5000)',
      ),
    );
    expect(() => withTimeout("5s" as never)).toThrow(
      'Expected `timeout` to be milliseconds or `{ timeoutMs }`, got "5s": withTimeout(handler, 5000)',
    );
    expect(() => withTimeout(handler, { timeoutMS: 10 } as never)).toThrow(
      "Unknown option `timeoutMS` in withTimeout(); did you mean `timeoutMs`?",
    );
    expect(() => withTimeout(handler, { timeout: 10 } as never)).toThrow(
      "Unknown option `timeout` in withTimeout(): use `timeoutMs` (milliseconds)",
    );
  });
});
