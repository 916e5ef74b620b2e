import { serveInMemory, serveInMemory2, textResult as text } from "@mcp-prod/testkit";
import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { z } from "zod";
import { compose, createRetryBudget, RETRY_META_KEY, RetryError, withRetry } from "./index.ts";

afterEach(async () => {
  vi.useRealTimers();
});

function reset(): Error {
  return Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
}

describe("withRetry", () => {
  it("refuses to wrap a tool without idempotent: true, naming the option", () => {
    const handler = async () => text("sent");
    expect(() => withRetry(handler, {} as never)).toThrow(TypeError);
    expect(() => withRetry(handler, {} as never)).toThrow("`idempotent: true`");
    expect(() => withRetry(handler, { idempotent: false } as never)).toThrow("`idempotent: true`");
    expect(() => withRetry({ attempts: 3 } as never)).toThrow("`idempotent: true`");
  });

  it("refuses unknown options and a signal of its own", () => {
    const handler = async () => text("ok");
    expect(() => withRetry(handler, { idempotent: true, maxAttempts: 2 } as never)).toThrow(
      "Unknown option `maxAttempts` in withRetry(): use `attempts`",
    );
    expect(() =>
      withRetry(handler, { idempotent: true, signal: AbortSignal.abort() } as never),
    ).toThrow("Unknown option `signal` in withRetry()");
    // The policy form checks its options where it is written, not when composed.
    expect(() => withRetry({ idempotent: true, retries: 2 } as never)).toThrow(
      "Unknown option `retries` in withRetry(): use `attempts`",
    );
    expect(() => withRetry(handler, { idempotent: true, attempts: 1.5 })).toThrow(
      "Expected `attempts` to be a positive integer, got 1.5",
    );
  });

  it("retries a thrown transient error and marks the result with the attempts it took", async () => {
    let calls = 0;
    const { client } = await serveInMemory((server) => {
      server.registerTool(
        "forecast",
        { inputSchema: { city: z.string() } },
        withRetry(
          async ({ city }) => {
            calls += 1;
            if (calls === 1) throw reset();
            return text(`sunny in ${city}`);
          },
          { idempotent: true, minDelayMs: 1, maxDelayMs: 5 },
        ),
      );
    });
    const result = await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    expect(result.content).toEqual([{ type: "text", text: "sunny in Oslo" }]);
    expect(result.isError).toBeUndefined();
    expect(result._meta?.[RETRY_META_KEY]).toEqual({ attempts: 2 });
    expect(calls).toBe(2);
  });

  it("answers with an error once every attempt failed", async () => {
    let calls = 0;
    const { client } = await serveInMemory((server) => {
      server.registerTool(
        "forecast",
        {},
        withRetry(
          async () => {
            calls += 1;
            throw reset();
          },
          { idempotent: true, attempts: 3, minDelayMs: 1, maxDelayMs: 5 },
        ),
      );
    });
    const result = await client.callTool({ name: "forecast" });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain("All 3 attempts failed");
    expect(calls).toBe(3);
  });

  it("leaves isError results alone unless retryErrorResults is set", async () => {
    let plain = 0;
    let retried = 0;
    const { client } = await serveInMemory((server) => {
      server.registerTool(
        "plain",
        {},
        withRetry(
          async () => {
            plain += 1;
            return { ...text("upstream 503"), isError: true };
          },
          { idempotent: true, minDelayMs: 1 },
        ),
      );
      server.registerTool(
        "retried",
        {},
        withRetry(
          async () => {
            retried += 1;
            return retried < 3 ? { ...text("upstream 503"), isError: true } : text("recovered");
          },
          { idempotent: true, retryErrorResults: true, minDelayMs: 1, maxDelayMs: 5 },
        ),
      );
    });
    const first = await client.callTool({ name: "plain" });
    expect(first).toMatchObject({ isError: true, _meta: { [RETRY_META_KEY]: { attempts: 1 } } });
    expect(plain).toBe(1);
    const second = await client.callTool({ name: "retried" });
    expect(second.content).toEqual([{ type: "text", text: "recovered" }]);
    expect(second._meta?.[RETRY_META_KEY]).toEqual({ attempts: 3 });
  });

  it("returns the last isError result, marked, when every attempt answered with one", async () => {
    let calls = 0;
    const handler = withRetry(
      async (_extra: { signal: AbortSignal }) => {
        calls += 1;
        return { ...text(`busy ${calls}`), isError: true };
      },
      { idempotent: true, retryErrorResults: true, attempts: 2, minDelayMs: 0, maxDelayMs: 0 },
    );
    const result = await handler({ signal: new AbortController().signal });
    expect(result).toEqual({
      ...text("busy 2"),
      isError: true,
      _meta: { [RETRY_META_KEY]: { attempts: 2 } },
    });
  });

  it("answers an open breaker's result at once when its retryAfterMs exceeds maxDelayMs", async () => {
    let calls = 0;
    const handler = withRetry(
      async (_extra: { signal: AbortSignal }) => {
        calls += 1;
        return {
          ...text("Service temporarily unavailable"),
          isError: true,
          _meta: { "mcp-prod/breaker": { open: true, retryAfterMs: 30_000 } },
        };
      },
      { idempotent: true, retryErrorResults: true, maxDelayMs: 1000 },
    );
    const result = await handler({ signal: new AbortController().signal });
    expect(calls).toBe(1);
    expect(result._meta).toEqual({
      "mcp-prod/breaker": { open: true, retryAfterMs: 30_000 },
      [RETRY_META_KEY]: { attempts: 1 },
    });
  });

  it("ends a backoff wait at once when the request is cancelled", async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const handler = withRetry(
      async (_extra: { signal: AbortSignal }) => {
        throw reset();
      },
      { idempotent: true, minDelayMs: 10_000 },
    );
    const outcome = handler({ signal: controller.signal }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(0);
    controller.abort(new Error("cancelled by client"));
    expect(await outcome).toEqual(new Error("cancelled by client"));
    expect(vi.getTimerCount()).toBe(0);
  });

  it("shares a retry budget across tools", async () => {
    const budget = createRetryBudget({ ratio: 0, minPerSecond: 0.1 });
    const failing = withRetry(
      async (_extra: { signal: AbortSignal }) => {
        throw reset();
      },
      { idempotent: true, budget, attempts: 5, minDelayMs: 0, maxDelayMs: 0 },
    );
    const extra = { signal: new AbortController().signal };
    const error = await failing(extra).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "ERETRYBUDGET", attempts: 2 });
    expect(RetryError.isInstance(error)).toBe(true);
  });

  it("runs on an SDK 2.x McpServer with the request's signal", async () => {
    let calls = 0;
    let signal: AbortSignal | undefined;
    const { client } = await serveInMemory2((server) => {
      server.registerTool(
        "forecast",
        { inputSchema: z.object({ city: z.string() }) },
        withRetry(
          async ({ city }, ctx) => {
            calls += 1;
            signal = ctx.mcpReq.signal;
            if (calls === 1) throw reset();
            return text(`rain in ${city}`);
          },
          { idempotent: true, minDelayMs: 1, maxDelayMs: 5 },
        ),
      );
    });
    const result = await client.callTool({ name: "forecast", arguments: { city: "Bergen" } });
    expect(result.content).toEqual([{ type: "text", text: "rain in Bergen" }]);
    expect(result._meta?.[RETRY_META_KEY]).toEqual({ attempts: 2 });
    expect(signal).toBeInstanceOf(AbortSignal);
  });

  it("composes as a policy and keeps the handler's type", async () => {
    type Handler = (
      args: { city: string },
      extra: { signal: AbortSignal },
    ) => Promise<ReturnType<typeof text>>;
    let calls = 0;
    const handler: Handler = async ({ city }) => {
      calls += 1;
      if (calls === 1) throw reset();
      return text(city);
    };
    const composed = compose(
      "forecast",
      handler,
      withRetry({ idempotent: true, minDelayMs: 0, maxDelayMs: 0 }),
    );
    expectTypeOf(composed).toEqualTypeOf<Handler>();
    const result = await composed({ city: "Oslo" }, { signal: new AbortController().signal });
    expect(result).toEqual({ ...text("Oslo"), _meta: { [RETRY_META_KEY]: { attempts: 2 } } });
  });
});
