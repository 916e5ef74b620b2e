import { createBreaker, withBreaker } from "@mcp-prod/breaker";
import { connectInMemory } from "@mcp-prod/testkit";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { z } from "zod";
import { compose, POLICY_ORDER, TIMEOUT_META_KEY, ToolTimeoutError, withTimeout } from "./index.ts";

describe("withTimeout as a policy", () => {
  it("names its ToolTimeoutError after the tool, inside a breaker that counts each timed-out call", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance", "Date"] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const reasons: unknown[] = [];
    const handler = async (_args: { city: string }, extra: { signal: AbortSignal }) =>
      new Promise<never>((_resolve, reject) => {
        extra.signal.addEventListener("abort", () => {
          reasons.push(extra.signal.reason);
          reject(extra.signal.reason);
        });
      });
    const breaker = createBreaker(async () => undefined, {
      name: "forecast",
      timeout: false,
      consecutiveFailures: 2,
    });
    onTestFinished(() => breaker.close());
    const mcp = new McpServer({ name: "compose-test", version: "1.0.0" });
    mcp.registerTool(
      "forecast",
      { inputSchema: { city: z.string() } },
      compose(
        "forecast",
        handler,
        withBreaker({ breaker }),
        withTimeout({ timeoutMs: 20, message: "forecast took too long" }),
      ),
    );
    const { client, close } = await connectInMemory(mcp);
    onTestFinished(close);
    for (let index = 0; index < 2; index++) {
      const call = client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
      await vi.advanceTimersByTimeAsync(20);
      expect(await call).toMatchObject({
        isError: true,
        content: [{ type: "text", text: "forecast took too long" }],
        _meta: { [TIMEOUT_META_KEY]: { timedOut: true, timeoutMs: 20 } },
      });
    }
    expect(reasons).toHaveLength(2);
    expect(reasons.every((reason) => ToolTimeoutError.isInstance(reason))).toBe(true);
    expect(reasons[0]).toMatchObject({ tool: "forecast", timeoutMs: 20 });
    expect(breaker.state).toBe("open");
  });

  it("refuses the timeout outside the breaker, naming both and the order", () => {
    const handler = async () => ({ content: [] });
    expect(() => compose("forecast", handler, withTimeout(1000), withBreaker())).toThrow(
      new TypeError(
        `compose("forecast") puts breaker inside timeout; the order is ${POLICY_ORDER.join(" → ")} (outermost first)`,
      ),
    );
  });

  it("checks the deadline when the policy is written", () => {
    expect(() => withTimeout(-1)).toThrow(
      "Expected `timeout` to be a positive finite number, got -1",
    );
    expect(() => withTimeout(null as never)).toThrow(
      "Expected `timeout` to be milliseconds or `{ timeoutMs }`, got null",
    );
    expect(() => withTimeout({ timeoutMs: 10, mesage: "x" } as never)).toThrow(
      "did you mean `message`?",
    );
  });
});
