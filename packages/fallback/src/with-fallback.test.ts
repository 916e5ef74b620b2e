import { serveInMemory as connect, deferred } from "@mcp-prod/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { countAbortControllers, text } from "./fallback.test-helpers.ts";
import {
  FALLBACK_META_KEY,
  FallbackTimeoutError,
  getFallbackMeta,
  ToolResultError,
  withFallback,
} from "./index.ts";

afterEach(async () => {
  vi.useRealTimers();
});

describe("withFallback on an SDK 1.x McpServer", () => {
  it("passes a healthy handler's result through untouched, without a degraded mark", async () => {
    const fallback = vi.fn(() => text("cached"));
    const { client } = await connect((server) => {
      server.registerTool(
        "forecast",
        { inputSchema: { city: z.string() } },
        withFallback(async ({ city }) => text(`sunny in ${city}`), fallback),
      );
    });
    const result = await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    expect(result.content).toEqual([{ type: "text", text: "sunny in Oslo" }]);
    expect(result._meta?.[FALLBACK_META_KEY]).toBeUndefined();
    expect(fallback).not.toHaveBeenCalled();
  });

  it("answers a throwing handler with a static result marked degraded in _meta", async () => {
    const { client } = await connect((server) => {
      server.registerTool(
        "forecast",
        { inputSchema: { city: z.string() } },
        withFallback(async () => {
          throw new Error("upstream 503");
        }, text("Forecast temporarily unavailable")),
      );
    });
    const result = await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    expect(result.isError).toBeUndefined();
    expect(result.content).toEqual([{ type: "text", text: "Forecast temporarily unavailable" }]);
    expect(result._meta).toEqual({
      [FALLBACK_META_KEY]: { degraded: true, reason: "error", attempt: 1 },
    });
  });

  it("lets a client read the degraded mark with getFallbackMeta, and nothing from a live result", async () => {
    const { client } = await connect((server) => {
      server.registerTool(
        "forecast",
        { inputSchema: { city: z.string() } },
        withFallback(async ({ city }) => {
          if (city === "Atlantis") throw new Error("no station");
          return { ...text("sunny"), _meta: { source: "live" } };
        }, text("cached")),
      );
    });
    const live = await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    const degraded = await client.callTool({ name: "forecast", arguments: { city: "Atlantis" } });
    expect(getFallbackMeta(live)).toBeUndefined();
    expect(live._meta).toEqual({ source: "live" });
    expect(getFallbackMeta(degraded)).toEqual({ degraded: true, reason: "error", attempt: 1 });
    expect(getFallbackMeta(undefined)).toBeUndefined();
    expect(getFallbackMeta({ _meta: { [FALLBACK_META_KEY]: "yes" } })).toBeUndefined();
  });

  it("calls a fallback handler with the same arguments and the request's extra", async () => {
    let fallbackSignal: AbortSignal | undefined;
    const { client } = await connect((server) => {
      server.registerTool(
        "forecast",
        { inputSchema: { city: z.string() } },
        withFallback(
          async ({ city }, extra) => {
            throw new Error(`upstream 503 for ${city} (request ${String(extra.requestId)})`);
          },
          async ({ city }, extra) => {
            fallbackSignal = extra.signal;
            return text(`cached forecast for ${city}`);
          },
        ),
      );
    });
    const result = await client.callTool({ name: "forecast", arguments: { city: "Bergen" } });
    expect(result.content).toEqual([{ type: "text", text: "cached forecast for Bergen" }]);
    expect(fallbackSignal).toBeInstanceOf(AbortSignal);
    expect(result._meta?.[FALLBACK_META_KEY]).toEqual({
      degraded: true,
      reason: "error",
      attempt: 1,
    });
  });

  it("works for a tool without inputSchema, whose handler takes only extra", async () => {
    const { client } = await connect((server) => {
      server.registerTool(
        "status",
        {},
        withFallback(
          async (extra) => {
            throw new Error(`status backend down for request ${String(extra.requestId)}`);
          },
          async (extra) => text(`status unknown (signal: ${extra.signal instanceof AbortSignal})`),
        ),
      );
    });
    const result = await client.callTool({ name: "status" });
    expect(result.content).toEqual([{ type: "text", text: "status unknown (signal: true)" }]);
  });

  it("falls back on an isError result by default and marks the reason errorResult", async () => {
    const when = vi.fn(() => true);
    const { client } = await connect((server) => {
      server.registerTool(
        "lookup",
        { inputSchema: { id: z.string() } },
        withFallback(
          async () => ({ ...text("search index offline"), isError: true }),
          text("from replica"),
          {
            when,
          },
        ),
      );
    });
    const result = await client.callTool({ name: "lookup", arguments: { id: "42" } });
    expect(result.content).toEqual([{ type: "text", text: "from replica" }]);
    expect(result._meta?.[FALLBACK_META_KEY]).toEqual({
      degraded: true,
      reason: "errorResult",
      attempt: 1,
    });
    const [error] = when.mock.calls[0] as unknown[];
    expect(ToolResultError.isInstance(error)).toBe(true);
    expect((error as ToolResultError).result.content).toEqual([
      { type: "text", text: "search index offline" },
    ]);
  });

  it("returns the handler's isError result untouched when `when` declines to fall back from it", async () => {
    const { client } = await connect((server) => {
      server.registerTool(
        "lookup",
        { inputSchema: { id: z.string() } },
        withFallback(
          async ({ id }) => ({ ...text(`no item ${id}`), isError: true }),
          text("from replica"),
          { when: (error) => !ToolResultError.isInstance(error) },
        ),
      );
    });
    const result = await client.callTool({ name: "lookup", arguments: { id: "42" } });
    expect(result).toMatchObject({
      isError: true,
      content: [{ type: "text", text: "no item 42" }],
    });
    expect(result._meta?.[FALLBACK_META_KEY]).toBeUndefined();
  });

  it("marks a fallback's isError result degraded even when `when` declines to go on from it", async () => {
    const wrapped = withFallback(
      async (_extra: { signal: AbortSignal }) => {
        throw new Error("primary down");
      },
      [async () => ({ ...text("replica refuses"), isError: true }), text("static")],
      { when: (error) => !ToolResultError.isInstance(error) },
    );
    const result = await wrapped({ signal: new AbortController().signal });
    expect(result).toEqual({
      ...text("replica refuses"),
      isError: true,
      _meta: { [FALLBACK_META_KEY]: { degraded: true, reason: "error", attempt: 1 } },
    });
  });

  it("hands the handler and the fallback the very argument and extra objects the SDK passed", async () => {
    const args = { id: "7" };
    const extra = { signal: new AbortController().signal };
    const seen: unknown[][] = [];
    const wrapped = withFallback(
      async (first: typeof args, second: typeof extra) => {
        seen.push([first, second]);
        throw new Error("down");
      },
      async (first, second) => {
        seen.push([first, second]);
        return text("cached");
      },
    );
    await wrapped(args, extra);
    expect(seen).toHaveLength(2);
    for (const [first, second] of seen) {
      expect(first).toBe(args);
      expect(second).toBe(extra);
    }
  });

  it("returns an isError result as it is with fallbackOnErrorResult = false", async () => {
    const { client } = await connect((server) => {
      server.registerTool(
        "lookup",
        { inputSchema: { id: z.string() } },
        withFallback(
          async ({ id }) => ({ ...text(`no item ${id}`), isError: true }),
          text("from replica"),
          {
            fallbackOnErrorResult: false,
          },
        ),
      );
    });
    const result = await client.callTool({ name: "lookup", arguments: { id: "42" } });
    expect(result).toMatchObject({
      isError: true,
      content: [{ type: "text", text: "no item 42" }],
    });
    expect(result._meta?.[FALLBACK_META_KEY]).toBeUndefined();
  });

  it("lets `when` keep an error from the fallback: the SDK reports it as the tool's error", async () => {
    const { client } = await connect((server) => {
      server.registerTool(
        "lookup",
        { inputSchema: { id: z.string() } },
        withFallback(
          async () => {
            throw new RangeError("id out of range");
          },
          text("from replica"),
          { when: (error) => !(error instanceof RangeError) },
        ),
      );
    });
    const result = await client.callTool({ name: "lookup", arguments: { id: "42" } });
    expect(result.isError).toBe(true);
    expect(result.content).toEqual([{ type: "text", text: "id out of range" }]);
  });

  it("tries a list of fallbacks in turn and marks which one answered", async () => {
    const { client } = await connect((server) => {
      server.registerTool(
        "rates",
        {},
        withFallback(async () => {
          throw new Error("primary down");
        }, [
          async () => ({ ...text("replica lagging"), isError: true }),
          async () => {
            throw new Error("cache miss");
          },
          text("rates unavailable"),
        ]),
      );
    });
    const result = await client.callTool({ name: "rates" });
    expect(result.content).toEqual([{ type: "text", text: "rates unavailable" }]);
    expect(result._meta?.[FALLBACK_META_KEY]).toEqual({
      degraded: true,
      reason: "error",
      attempt: 3,
    });
  });

  it("reports a FallbackError as the tool's error result when the fallback fails too", async () => {
    const { client } = await connect((server) => {
      server.registerTool(
        "forecast",
        {},
        withFallback(
          async () => {
            throw new Error("upstream 503");
          },
          async () => {
            throw new Error("cache empty");
          },
        ),
      );
    });
    const result = await client.callTool({ name: "forecast" });
    expect(result.isError).toBe(true);
    expect(result.content).toEqual([
      { type: "text", text: "All 2 attempts failed; the last with: cache empty" },
    ]);
  });

  it("aborts a handler slower than timeoutMs through extra.signal and serves the fallback", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const started = deferred();
    let handlerSignal: AbortSignal | undefined;
    const onFallback = vi.fn();
    const { client } = await connect((server) => {
      server.registerTool(
        "forecast",
        { inputSchema: { city: z.string() } },
        withFallback(
          async (_args, extra) => {
            handlerSignal = extra.signal;
            started.resolve();
            await new Promise((resolve) => extra.signal.addEventListener("abort", resolve));
            return text("too late");
          },
          text("cached forecast"),
          { timeoutMs: 3000, onFallback },
        ),
      );
    });
    const pending = client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    await started.promise;
    expect(handlerSignal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(3000);
    const result = await pending;
    expect(result.content).toEqual([{ type: "text", text: "cached forecast" }]);
    expect(result._meta?.[FALLBACK_META_KEY]).toEqual({
      degraded: true,
      reason: "timeout",
      attempt: 1,
    });
    expect(handlerSignal?.aborted).toBe(true);
    expect(FallbackTimeoutError.isInstance(handlerSignal?.reason)).toBe(true);
    expect(FallbackTimeoutError.isInstance(onFallback.mock.calls[0]?.[0])).toBe(true);
  });

  it("never answers a client's cancellation with the fallback: the handler is aborted and nothing is served", async () => {
    const started = deferred();
    const handlerAborted = deferred();
    const fallback = vi.fn(() => text("cached"));
    const { client } = await connect((server) => {
      server.registerTool(
        "slow",
        {},
        withFallback(async (extra) => {
          started.resolve();
          await new Promise((_, reject) =>
            extra.signal.addEventListener("abort", () => {
              handlerAborted.resolve();
              reject(extra.signal.reason);
            }),
          );
          return text("never");
        }, fallback),
      );
    });
    const controller = new AbortController();
    const pending = client.callTool({ name: "slow" }, undefined, { signal: controller.signal });
    await started.promise;
    controller.abort(new Error("user pressed stop"));
    await expect(pending).rejects.toThrow("user pressed stop");
    await handlerAborted.promise;
    expect(fallback).not.toHaveBeenCalled();
  });

  it("keeps a static fallback valid for a tool with an outputSchema", async () => {
    const outputSchema = z.object({ temperature: z.number() });
    const { client } = await connect((server) => {
      server.registerTool(
        "temperature",
        { inputSchema: { city: z.string() }, outputSchema: outputSchema.shape },
        withFallback(
          async () => {
            throw new Error("sensor offline");
          },
          { ...text("last known: 4"), structuredContent: { temperature: 4 } },
          { outputSchema },
        ),
      );
    });
    const result = await client.callTool({ name: "temperature", arguments: { city: "Oslo" } });
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toEqual({ temperature: 4 });
    expect(result._meta?.[FALLBACK_META_KEY]).toEqual({
      degraded: true,
      reason: "error",
      attempt: 1,
    });
  });

  it("refuses, when the wrapper is built, a static fallback that the outputSchema would reject", () => {
    const outputSchema = z.object({ temperature: z.number() });
    const failing = async () => text("x");
    // The types refuse both fallbacks too (see with-fallback.test-d.ts); this is the check
    // for callers whose types cannot see the schema.
    expect(() => withFallback(failing, text("unknown") as never, { outputSchema })).toThrow(
      new TypeError(
        "Expected `fallback` to supply `structuredContent`: the tool has an `outputSchema`",
      ),
    );
    expect(() =>
      withFallback(failing, { ...text("?"), structuredContent: { temperature: "warm" } } as never, {
        outputSchema,
      }),
    ).toThrow(/^Expected `fallback.structuredContent` to match `outputSchema`: /);
    // An error result needs no structuredContent, so it is always a valid fallback.
    expect(() =>
      withFallback(failing, { ...text("unavailable"), isError: true }, { outputSchema }),
    ).not.toThrow();
  });

  it("treats a fallback handler's result that breaks the outputSchema as that fallback failing", async () => {
    const outputSchema = z.object({ temperature: z.number() });
    const { client } = await connect((server) => {
      server.registerTool(
        "temperature",
        { outputSchema: outputSchema.shape },
        withFallback(
          async () => {
            throw new Error("sensor offline");
          },
          [async () => text("no structured content"), { ...text("unavailable"), isError: true }],
          { outputSchema },
        ),
      );
    });
    const result = await client.callTool({ name: "temperature" });
    expect(result).toMatchObject({
      isError: true,
      content: [{ type: "text", text: "unavailable" }],
    });
    expect(result._meta?.[FALLBACK_META_KEY]).toEqual({
      degraded: true,
      reason: "error",
      attempt: 2,
    });
  });

  it("keeps no state in the handler: one wrapped handler serves a new McpServer per request", async () => {
    let calls = 0;
    const handler = withFallback(async () => {
      calls += 1;
      if (calls % 2 === 0) throw new Error("every other call fails");
      return text("live");
    }, text("cached"));
    const answers: unknown[] = [];
    for (let request = 0; request < 4; request++) {
      const { client } = await connect((server) => server.registerTool("flaky", {}, handler));
      answers.push((await client.callTool({ name: "flaky" })).content);
    }
    expect(answers).toEqual([
      [{ type: "text", text: "live" }],
      [{ type: "text", text: "cached" }],
      [{ type: "text", text: "live" }],
      [{ type: "text", text: "cached" }],
    ]);
  });

  it("creates no AbortController per call without timeoutMs: the handler gets the request's own signal", async () => {
    const requestSignal = new AbortController().signal;
    let seen: AbortSignal | undefined;
    const wrapped = withFallback(async (_args: { id: string }, extra: { signal: AbortSignal }) => {
      seen = extra.signal;
      return text("live");
    }, text("cached"));
    const created = await countAbortControllers(async () => {
      await expect(wrapped({ id: "1" }, { signal: requestSignal })).resolves.toEqual(text("live"));
    });
    expect(created).toBe(0);
    expect(seen).toBe(requestSignal);
  });

  it("validates its arguments when the wrapper is built, naming each", () => {
    const handler = async () => text("x");
    expect(() => withFallback("handler" as never, text("x"))).toThrow(
      new TypeError('Expected `handler` to be a function, got "handler"'),
    );
    expect(() => withFallback(handler, "cached" as never)).toThrow(
      new TypeError(
        "Expected `fallback` to be a tool handler or a tool result ({ content: [...] }), got string",
      ),
    );
    expect(() => withFallback(handler, [text("a"), 3 as never])).toThrow(
      new TypeError(
        "Expected `fallback[1]` to be a tool handler or a tool result ({ content: [...] }), got number",
      ),
    );
    expect(() => withFallback(handler, [])).toThrow(
      new TypeError("Expected `fallback` to hold at least one fallback, got an empty array"),
    );
    expect(() => withFallback(handler, text("x"), { timeoutMs: 0 })).toThrow(
      new TypeError("Expected `timeoutMs` to be a positive finite number, got 0"),
    );
    expect(() =>
      withFallback(handler, text("x"), { fallbackOnErrorResult: "yes" as never }),
    ).toThrow(new TypeError('Expected `fallbackOnErrorResult` to be a boolean, got "yes"'));
    expect(() => withFallback(handler, text("x"), { outputSchema: {} as never })).toThrow(
      new TypeError(
        "Expected `outputSchema` to be a Standard Schema such as z.object({...}), got an object",
      ),
    );
  });
});
