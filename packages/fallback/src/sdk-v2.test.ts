import { serveInMemory2 as connect, deferred } from "@mcp-prod/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { text } from "./fallback.test-helpers.ts";
import { FALLBACK_META_KEY, FallbackTimeoutError, withFallback } from "./index.ts";

afterEach(async () => {
  vi.useRealTimers();
});

describe("withFallback on an SDK 2.x McpServer", () => {
  it("passes a healthy result through and marks a fallback's result degraded", async () => {
    const { client } = await connect((server) => {
      server.registerTool(
        "forecast",
        { inputSchema: z.object({ city: z.string() }) },
        withFallback(
          async ({ city }) => {
            if (city === "Atlantis") throw new Error("no station");
            return text(`sunny in ${city}`);
          },
          async ({ city }) => text(`cached forecast for ${city}`),
        ),
      );
    });
    const healthy = await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    expect(healthy.content).toEqual([{ type: "text", text: "sunny in Oslo" }]);
    expect(healthy._meta?.[FALLBACK_META_KEY]).toBeUndefined();

    const degraded = await client.callTool({ name: "forecast", arguments: { city: "Atlantis" } });
    expect(degraded.content).toEqual([{ type: "text", text: "cached forecast for Atlantis" }]);
    expect(degraded._meta?.[FALLBACK_META_KEY]).toEqual({
      degraded: true,
      reason: "error",
      attempt: 1,
    });
  });

  it("serves a static fallback for a tool without inputSchema, whose handler takes only ctx", async () => {
    const { client } = await connect((server) => {
      server.registerTool(
        "status",
        {},
        withFallback(async (ctx) => {
          throw new Error(`status backend down (${ctx.mcpReq.method})`);
        }, text("status unknown")),
      );
    });
    const result = await client.callTool({ name: "status" });
    expect(result.content).toEqual([{ type: "text", text: "status unknown" }]);
    expect(result._meta?.[FALLBACK_META_KEY]).toEqual({
      degraded: true,
      reason: "error",
      attempt: 1,
    });
  });

  it("aborts ctx.mcpReq.signal at timeoutMs, keeps the rest of ctx, and serves the fallback", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const running = deferred();
    let seen: { signal: AbortSignal; method: string } | undefined;
    const { client } = await connect((server) => {
      server.registerTool(
        "forecast",
        { inputSchema: z.object({ city: z.string() }) },
        withFallback(
          async (_args, ctx) => {
            seen = { signal: ctx.mcpReq.signal, method: ctx.mcpReq.method };
            running.resolve();
            await new Promise((resolve) => ctx.mcpReq.signal.addEventListener("abort", resolve));
            return text("too late");
          },
          text("cached forecast"),
          { timeoutMs: 1500 },
        ),
      );
    });
    const pending = client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    await running.promise;
    await vi.advanceTimersByTimeAsync(1500);
    const result = await pending;
    expect(result.content).toEqual([{ type: "text", text: "cached forecast" }]);
    expect(result._meta?.[FALLBACK_META_KEY]).toEqual({
      degraded: true,
      reason: "timeout",
      attempt: 1,
    });
    expect(seen?.method).toBe("tools/call");
    expect(seen?.signal.aborted).toBe(true);
    expect(FallbackTimeoutError.isInstance(seen?.signal.reason)).toBe(true);
  });

  it("never answers a client's cancellation with the fallback", async () => {
    const running = deferred();
    const aborted = deferred();
    const fallback = vi.fn(() => text("cached"));
    const { client } = await connect((server) => {
      server.registerTool(
        "slow",
        {},
        withFallback(async (ctx) => {
          running.resolve();
          await new Promise((_, reject) =>
            ctx.mcpReq.signal.addEventListener("abort", () => {
              aborted.resolve();
              reject(ctx.mcpReq.signal.reason);
            }),
          );
          return text("never");
        }, fallback),
      );
    });
    const controller = new AbortController();
    const pending = client.callTool({ name: "slow" }, { signal: controller.signal });
    await running.promise;
    controller.abort(new Error("user pressed stop"));
    await expect(pending).rejects.toThrow("user pressed stop");
    await aborted.promise;
    expect(fallback).not.toHaveBeenCalled();
  });
});
