import { connectInMemory as connect, connectInMemory2 as connect2 } from "@mcp-prod/testkit";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpServer as McpServer2 } from "@modelcontextprotocol/server";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { z } from "zod";
import { textOf } from "./breaker.test-helpers.ts";
import {
  BREAKER_META_KEY,
  type Breaker,
  type BreakerOptions,
  createBreaker,
  withBreaker,
} from "./index.ts";

afterEach(async () => {
  vi.useRealTimers();
});

function server(): McpServer {
  return new McpServer({ name: "breaker-test", version: "1.0.0" });
}

/** A shared breaker the test can inspect; created here so it is closed after the test. */
function sharedBreaker(options: BreakerOptions = {}): Breaker {
  const breaker = createBreaker(async () => undefined, { timeout: false, ...options });
  onTestFinished(() => breaker.close());
  return breaker as Breaker;
}

describe("withBreaker on an SDK 1.x McpServer", () => {
  it("answers with the open-circuit text, marked in _meta, without calling the handler", async () => {
    let calls = 0;
    const mcp = server();
    const breaker = sharedBreaker({ resetTimeout: 60_000 });
    mcp.registerTool(
      "api_call",
      { inputSchema: { id: z.string() } },
      withBreaker(
        async ({ id }) => {
          calls++;
          throw new Error(`upstream refused ${id}`);
        },
        { breaker, openMessage: "Weather service unavailable" },
      ),
    );
    const { client, close } = await connect(mcp);
    onTestFinished(close);

    const first = await client.callTool({ name: "api_call", arguments: { id: "a" } });
    expect(first.isError).toBe(true);
    expect(textOf(first)).toContain("upstream refused a");
    expect(breaker.state).toBe("open");

    const second = await client.callTool({ name: "api_call", arguments: { id: "b" } });
    expect(second).toMatchObject({
      isError: true,
      content: [{ type: "text", text: "Weather service unavailable" }],
      _meta: { [BREAKER_META_KEY]: { open: true } },
    });
    const meta = second._meta?.[BREAKER_META_KEY] as { retryAfterMs?: number } | undefined;
    const retryAfterMs = meta?.retryAfterMs ?? 0;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(calls).toBe(1);
  });

  it("counts an isError result as a failure by default, and not when countErrorResults is false", async () => {
    const mcp = server();
    const counted = sharedBreaker();
    const ignored = sharedBreaker();
    const failing = async () => ({
      content: [{ type: "text" as const, text: "quota exceeded" }],
      isError: true,
    });
    mcp.registerTool("counted", {}, withBreaker(failing, { breaker: counted }));
    mcp.registerTool(
      "ignored",
      {},
      withBreaker(failing, { breaker: ignored, countErrorResults: false }),
    );
    const { client, close } = await connect(mcp);
    onTestFinished(close);

    const result = await client.callTool({ name: "counted" });
    expect(textOf(result)).toBe("quota exceeded");
    expect(counted.state).toBe("open");
    await client.callTool({ name: "ignored" });
    expect(ignored.state).toBe("closed");
    expect(ignored.stats().successes).toBe(1);
  });

  it("counts a bulkhead's refusal inside it as neither success nor failure", async () => {
    const mcp = server();
    const breaker = sharedBreaker();
    let shed = true;
    const handler = async () => ({
      content: [{ type: "text" as const, text: shed ? "busy, try again" : "upstream down" }],
      isError: true,
      ...(shed ? { _meta: { "mcp-prod/bulkhead": { rejected: true, reason: "queue-full" } } } : {}),
    });
    mcp.registerTool("busy", {}, withBreaker(handler, { breaker }));
    const { client, close } = await connect(mcp);
    onTestFinished(close);

    for (let i = 0; i < 5; i++) {
      expect(textOf(await client.callTool({ name: "busy" }))).toBe("busy, try again");
    }
    expect(breaker.state).toBe("closed");
    expect(breaker.stats()).toMatchObject({ successes: 0, failures: 0 });

    shed = false;
    await client.callTool({ name: "busy" });
    expect(breaker.state).toBe("open");
  });

  it("wraps tools without an inputSchema (one-parameter handlers) and passes arguments through unchanged", async () => {
    const mcp = server();
    const seen: unknown[] = [];
    mcp.registerTool(
      "status",
      {},
      withBreaker(async (extra) => {
        seen.push(extra.signal instanceof AbortSignal);
        return { content: [{ type: "text", text: "up" }] };
      }),
    );
    mcp.registerTool(
      "echo",
      { inputSchema: { words: z.array(z.string()) } },
      withBreaker(async ({ words }, extra) => {
        seen.push(extra.requestId !== undefined);
        return { content: [{ type: "text", text: words.join(" ") }] };
      }),
    );
    const { client, close } = await connect(mcp);
    onTestFinished(close);
    expect(textOf(await client.callTool({ name: "status" }))).toBe("up");
    expect(textOf(await client.callTool({ name: "echo", arguments: { words: ["a", "b"] } }))).toBe(
      "a b",
    );
    expect(seen).toEqual([true, true]);
  });

  it("keeps its state outside the handler, shared by servers built per request", async () => {
    const breaker = sharedBreaker();
    let healthy = false;
    // Wrapped once at module level, registered on a new McpServer per request.
    const handler = withBreaker(
      async () => {
        if (!healthy) throw new Error("down");
        return { content: [{ type: "text" as const, text: "ok" }] };
      },
      { breaker },
    );
    const perRequest = async () => {
      const mcp = server();
      mcp.registerTool("flaky", {}, handler);
      const connection = await connect(mcp);
      onTestFinished(connection.close);
      return connection.client;
    };
    await (await perRequest()).callTool({ name: "flaky" });
    healthy = true;
    const result = await (await perRequest()).callTool({ name: "flaky" });
    expect(textOf(result)).toBe("Service temporarily unavailable");
  });

  it("aborts the handler on the client's cancellation and counts it as neither success nor failure", async () => {
    const breaker = sharedBreaker();
    const mcp = server();
    let aborted!: () => void;
    const handlerAborted = new Promise<void>((resolve) => {
      aborted = resolve;
    });
    let started!: () => void;
    const handlerStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    mcp.registerTool(
      "slow",
      {},
      withBreaker(
        (extra) =>
          new Promise((_resolve, reject) => {
            started();
            extra.signal.addEventListener("abort", () => {
              aborted();
              reject(extra.signal.reason);
            });
          }),
        { breaker },
      ),
    );
    const { client, close } = await connect(mcp);
    onTestFinished(close);
    const controller = new AbortController();
    const call = client.callTool({ name: "slow" }, undefined, { signal: controller.signal });
    await handlerStarted;
    controller.abort(new Error("user pressed stop"));
    await expect(call).rejects.toThrow("user pressed stop");
    await handlerAborted;
    expect(breaker.stats()).toMatchObject({ successes: 0, failures: 0, state: "closed" });
  });

  it("aborts the handler's signal at the breaker's timeout and reports a timed-out error result", async () => {
    vi.useFakeTimers({
      toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "performance", "Date"],
    });
    const mcp = server();
    let reason: unknown;
    const wrapped = withBreaker(
      (extra: { signal: AbortSignal }) =>
        new Promise<never>((_resolve, reject) => {
          extra.signal.addEventListener("abort", () => {
            reason = extra.signal.reason;
            reject(reason);
          });
        }),
      { name: "slow_tool", timeout: 1000, volumeThreshold: 5 },
    );
    mcp.registerTool("slow_tool", {}, wrapped);
    const { client, close } = await connect(mcp);
    onTestFinished(close);
    const call = client.callTool({ name: "slow_tool" });
    await vi.advanceTimersByTimeAsync(1000);
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('Breaker "slow_tool" timed out after 1000ms');
    expect(reason).toMatchObject({ code: "ETIMEDOUT", timeoutMs: 1000 });
  });

  it("answers an open circuit with an isError result that a tool with an outputSchema may return", async () => {
    const breaker = sharedBreaker();
    breaker.forceOpen();
    const mcp = server();
    mcp.registerTool(
      "typed",
      { outputSchema: { temperature: z.number() } },
      withBreaker(async () => ({ content: [], structuredContent: { temperature: 21 } }), {
        breaker,
      }),
    );
    const { client, close } = await connect(mcp);
    onTestFinished(close);
    const result = await client.callTool({ name: "typed" });
    expect(result).toMatchObject({
      isError: true,
      content: [{ text: "Service temporarily unavailable" }],
    });
  });

  it("rejects invalid options with a TypeError naming them", () => {
    const handler = async () => ({ content: [] });
    expect(() => withBreaker(handler, { openMessage: "" })).toThrow(
      new TypeError('Expected `openMessage` to be a non-empty string, got ""'),
    );
    expect(() => withBreaker(handler, { timeout: 0 })).toThrow(
      new TypeError("Expected `timeout` to be a positive finite number, got 0"),
    );
  });
});

describe("withBreaker on an SDK 2.x McpServer", () => {
  it("reads the signal at ctx.mcpReq.signal and answers an open circuit", async () => {
    const breaker = sharedBreaker({ errorThresholdPercentage: 25 });
    const mcp = new McpServer2({ name: "breaker-test-2", version: "2.0.0" });
    const signals: boolean[] = [];
    let fail = false;
    mcp.registerTool(
      "lookup",
      { inputSchema: z.object({ id: z.string() }) },
      withBreaker(
        async ({ id }, ctx) => {
          signals.push(ctx.mcpReq.signal instanceof AbortSignal);
          if (fail) throw new Error("down");
          return { content: [{ type: "text", text: `found ${id}` }] };
        },
        { breaker },
      ),
    );
    mcp.registerTool(
      "ping",
      {},
      withBreaker(async (ctx) => {
        signals.push(ctx.mcpReq.signal instanceof AbortSignal);
        return { content: [{ type: "text", text: "pong" }] };
      }),
    );
    const { client, close } = await connect2(mcp);
    onTestFinished(close);
    expect(textOf(await client.callTool({ name: "lookup", arguments: { id: "7" } }))).toBe(
      "found 7",
    );
    expect(textOf(await client.callTool({ name: "ping" }))).toBe("pong");
    fail = true;
    await client.callTool({ name: "lookup", arguments: { id: "8" } });
    const rejected = await client.callTool({ name: "lookup", arguments: { id: "9" } });
    expect(rejected).toMatchObject({
      isError: true,
      content: [{ text: "Service temporarily unavailable" }],
    });
    expect(signals).toEqual([true, true, true]);
  });

  it("aborts ctx.mcpReq.signal when the client cancels", async () => {
    const breaker = sharedBreaker();
    const mcp = new McpServer2({ name: "breaker-test-2", version: "2.0.0" });
    let started!: () => void;
    const handlerStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const aborted = new Promise<unknown>((resolve) => {
      mcp.registerTool(
        "wait",
        {},
        withBreaker(
          (ctx) =>
            new Promise((_resolve, reject) => {
              started();
              ctx.mcpReq.signal.addEventListener("abort", () => {
                resolve(ctx.mcpReq.signal.reason);
                reject(ctx.mcpReq.signal.reason);
              });
            }),
          { breaker },
        ),
      );
    });
    const { client, close } = await connect2(mcp);
    onTestFinished(close);
    const controller = new AbortController();
    const call = client.callTool({ name: "wait" }, { signal: controller.signal });
    await handlerStarted;
    controller.abort(new Error("stop"));
    await expect(call).rejects.toThrow();
    expect(await aborted).toBeDefined();
    expect(breaker.stats()).toMatchObject({ successes: 0, failures: 0 });
  });
});
