import { connectInMemory } from "@mcp-prod/testkit";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { z } from "zod";
import { CACHE_META_KEY, CacheTimeoutError, createCache, withCache } from "./index.ts";

afterEach(async () => {
  vi.useRealTimers();
});

async function connect(server: McpServer): Promise<Client> {
  const { client, close } = await connectInMemory(server);
  onTestFinished(close);
  return client;
}

function weatherServer(
  handler: (
    args: { city: string },
    extra: { signal: AbortSignal },
  ) => Promise<{
    content: Array<{ type: "text"; text: string }>;
    isError?: boolean;
  }>,
  options: { ttlSeconds?: number; staleIfErrorSeconds?: number } = {},
) {
  const cache = createCache({ name: "weather" });
  onTestFinished(() => cache.close());
  const server = new McpServer({ name: "weather", version: "1.0.0" });
  server.registerTool(
    "weather",
    { inputSchema: { city: z.string() } },
    withCache(handler, {
      cache,
      key: (args) => `weather:${args.city}`,
      ttlSeconds: 60,
      ...options,
    }),
  );
  return { server, cache };
}

function text(result: unknown): string | undefined {
  const content = (result as { content: Array<{ text?: string }> }).content;
  return content[0]?.text;
}

describe("withCache on a real McpServer", () => {
  it("runs the handler once per key and marks cached results in _meta", async () => {
    const handler = vi.fn(async ({ city }: { city: string }) => ({
      content: [{ type: "text" as const, text: `sunny in ${city}` }],
    }));
    const client = await connect(weatherServer(handler).server);
    const first = await client.callTool({ name: "weather", arguments: { city: "Oslo" } });
    const second = await client.callTool({ name: "weather", arguments: { city: "Oslo" } });
    const other = await client.callTool({ name: "weather", arguments: { city: "Rome" } });
    expect([text(first), text(second), text(other)]).toEqual([
      "sunny in Oslo",
      "sunny in Oslo",
      "sunny in Rome",
    ]);
    expect(handler).toHaveBeenCalledTimes(2);
    expect(first._meta?.[CACHE_META_KEY]).toEqual({ hit: false, stale: false, source: "origin" });
    expect(second._meta?.[CACHE_META_KEY]).toEqual({ hit: true, stale: false, source: "l1" });
  });

  it("runs the handler once for concurrent calls with the same key", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handler = vi.fn(async () => {
      await gate;
      return { content: [{ type: "text" as const, text: "computed" }] };
    });
    const client = await connect(weatherServer(handler).server);
    const calls = Array.from({ length: 10 }, () =>
      client.callTool({ name: "weather", arguments: { city: "Oslo" } }),
    );
    await vi.waitFor(() => expect(handler).toHaveBeenCalled());
    release();
    expect((await Promise.all(calls)).map(text)).toEqual(Array(10).fill("computed"));
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it("never caches an isError result", async () => {
    const handler = vi.fn(async () => ({
      content: [{ type: "text" as const, text: "upstream said no" }],
      isError: true,
    }));
    const { server, cache } = weatherServer(handler);
    const client = await connect(server);
    const first = await client.callTool({ name: "weather", arguments: { city: "Oslo" } });
    const second = await client.callTool({ name: "weather", arguments: { city: "Oslo" } });
    expect(first).toMatchObject({ isError: true, content: [{ text: "upstream said no" }] });
    expect(second.isError).toBe(true);
    expect(handler).toHaveBeenCalledTimes(2);
    expect(await cache.has("weather:Oslo")).toBe(false);
  });

  it("never caches a thrown error and lets it reach the SDK unchanged", async () => {
    let fail = true;
    const handler = vi.fn(async () => {
      if (fail) throw new Error("upstream exploded");
      return { content: [{ type: "text" as const, text: "fine" }] };
    });
    const client = await connect(weatherServer(handler).server);
    const failed = await client.callTool({ name: "weather", arguments: { city: "Oslo" } });
    expect(failed.isError).toBe(true);
    expect(text(failed)).toContain("upstream exploded");
    fail = false;
    const recovered = await client.callTool({ name: "weather", arguments: { city: "Oslo" } });
    expect(text(recovered)).toBe("fine");
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it("serves the expired result marked stale in _meta when the handler then fails", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    let fail = false;
    const handler = vi.fn(async () => {
      if (fail) throw new Error("upstream down");
      return { content: [{ type: "text" as const, text: "cached forecast" }] };
    });
    const client = await connect(weatherServer(handler, { staleIfErrorSeconds: 3600 }).server);
    await client.callTool({ name: "weather", arguments: { city: "Oslo" } });
    vi.setSystemTime(Date.now() + 120_000);
    fail = true;
    const stale = await client.callTool({ name: "weather", arguments: { city: "Oslo" } });
    expect(text(stale)).toBe("cached forecast");
    expect(stale.isError).toBeUndefined();
    expect(stale._meta?.[CACHE_META_KEY]).toEqual({ hit: true, stale: true, source: "l1" });
  });

  it("passes extra.signal through: a cancelled call aborts the handler's signal and caches nothing", async () => {
    let seen: AbortSignal | undefined;
    const handler = vi.fn(
      (_args: { city: string }, extra: { signal: AbortSignal }) =>
        new Promise<{ content: Array<{ type: "text"; text: string }> }>((resolve) => {
          seen = extra.signal;
          extra.signal.addEventListener("abort", () =>
            resolve({ content: [{ type: "text", text: "aborted" }] }),
          );
        }),
    );
    const { server, cache } = weatherServer(handler);
    const client = await connect(server);
    const controller = new AbortController();
    const call = client.callTool({ name: "weather", arguments: { city: "Oslo" } }, undefined, {
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(seen).toBeDefined());
    controller.abort(new Error("user cancelled"));
    await expect(call).rejects.toThrow("user cancelled");
    await vi.waitFor(() => expect(seen?.aborted).toBe(true));
    // what the handler returned after cancellation was not cached
    expect(await cache.has("weather:Oslo")).toBe(false);
  });
});

describe("withCache as a plain function", () => {
  it("hands the handler its parameters unchanged", async () => {
    const cache = createCache();
    const handler = vi.fn(async (..._params: unknown[]) => ({ content: [] }));
    const wrapped = withCache(handler, { cache, key: () => "k" });
    const args = { city: "Oslo" };
    const extra = { signal: new AbortController().signal, requestId: 7 };
    await wrapped(args, extra);
    expect(handler.mock.calls[0]?.[0]).toBe(args);
    expect(handler.mock.calls[0]?.[1]).toBe(extra);
  });

  it("rejects with CacheTimeoutError after timeoutMs and does not cache the late result", async () => {
    vi.useFakeTimers();
    const cache = createCache();
    let finish!: (result: { content: [] }) => void;
    const handler = vi.fn(
      (..._params: unknown[]) =>
        new Promise<{ content: [] }>((resolve) => {
          finish = resolve;
        }),
    );
    const wrapped = withCache(handler, { cache, key: () => "slow", timeoutMs: 50 });
    const call = wrapped({}, {});
    const assertion = expect(call).rejects.toSatisfy((error) =>
      CacheTimeoutError.isInstance(error),
    );
    await vi.advanceTimersByTimeAsync(50);
    await assertion;
    finish({ content: [] });
    await vi.advanceTimersByTimeAsync(0);
    expect(await cache.has("slow")).toBe(false);
  });

  it("skips the cache when the key function returns undefined", async () => {
    const cache = createCache();
    const handler = vi.fn(async (..._params: unknown[]) => ({ content: [] }));
    const wrapped = withCache(handler, { cache, key: () => undefined });
    await wrapped({}, {});
    await wrapped({}, {});
    expect(handler).toHaveBeenCalledTimes(2);
    expect(cache.stats().factoryCalls).toBe(0);
  });

  it("requires a key function and a cache", () => {
    const cache = createCache();
    const handler = async () => ({ content: [] });
    expect(() => withCache(handler, { cache } as never)).toThrow(
      new TypeError("Expected `key` to be a function, got undefined"),
    );
    expect(() => withCache(handler, { key: () => "k" } as never)).toThrow(
      new TypeError("Expected `cache` to be a cache from createCache()"),
    );
  });
});
