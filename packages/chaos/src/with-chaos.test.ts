import { createBulkhead, withBulkhead } from "@mcp-prod/bulkhead";
import { createRetryBudget, RETRY_META_KEY, withRetry } from "@mcp-prod/retry";
import { serveInMemory, serveInMemory2, textResult as text } from "@mcp-prod/testkit";
import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { z } from "zod";
import { CHAOS_META_KEY, compose, createChaos, withChaos } from "./index.ts";

afterEach(async () => {
  vi.useRealTimers();
});

describe("withChaos", () => {
  it("answers injected error results marked, thrown faults as errors, and nothing while disabled", async () => {
    const results = createChaos({ errorResult: { rate: 1, text: "chaos says no" } });
    const errors = createChaos({ enabled: true, error: { rate: 1 } });
    let calls = 0;
    const { client } = await serveInMemory((server) => {
      server.registerTool(
        "forecast",
        { inputSchema: { city: z.string() } },
        withChaos(async ({ city }) => {
          calls += 1;
          return text(`sunny in ${city}`);
        }, results),
      );
      server.registerTool(
        "status",
        {},
        withChaos(async () => text("up"), errors),
      );
    });
    const untouched = await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    expect(untouched).toEqual(text("sunny in Oslo"));
    results.enable();
    const injected = await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    expect(injected).toEqual({
      content: [{ type: "text", text: "chaos says no" }],
      isError: true,
      _meta: { [CHAOS_META_KEY]: { injected: "errorResult" } },
    });
    expect(calls).toBe(1);
    const thrown = await client.callTool({ name: "status" });
    expect(thrown.isError).toBe(true);
    expect(JSON.stringify(thrown.content)).toContain("Fault injected by chaos");
  });

  it("ends injected latency when the client cancels the request", async () => {
    const chaos = createChaos({ enabled: true, latency: { rate: 1, ms: 60_000 } });
    const handler = vi.fn(async () => text("late"));
    const { client } = await serveInMemory((server) => {
      server.registerTool("slow", {}, withChaos(handler, chaos));
    });
    const controller = new AbortController();
    const call = client.callTool({ name: "slow" }, undefined, { signal: controller.signal });
    await vi.waitFor(() => expect(chaos.stats().latency).toBe(1));
    controller.abort(new Error("user gave up"));
    await expect(call).rejects.toThrow("user gave up");
    expect(handler).not.toHaveBeenCalled();
  });

  it("runs on an SDK 2.x McpServer", async () => {
    const chaos = createChaos({ enabled: true, errorResult: { rate: 1 } });
    const { client } = await serveInMemory2((server) => {
      server.registerTool(
        "forecast",
        { inputSchema: z.object({ city: z.string() }) },
        withChaos(async ({ city }) => text(city), chaos),
      );
    });
    const result = await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    expect(result.isError).toBe(true);
    expect(result._meta?.[CHAOS_META_KEY]).toEqual({ injected: "errorResult" });
    chaos.disable();
    const healthy = await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    expect(healthy.content).toEqual([{ type: "text", text: "Oslo" }]);
  });
});

describe("compose with retry, bulkhead and chaos", () => {
  it("keeps the handler's type and applies each: chaos faults are retried inside the bulkhead", async () => {
    type Handler = (
      args: { city: string },
      extra: { signal: AbortSignal },
    ) => Promise<ReturnType<typeof text>>;
    // Every other call is cut off; retry (outermost) tries again within its budget.
    let draw = 0;
    const chaos = createChaos({
      enabled: true,
      abort: { rate: 0.5 },
      random: () => (draw++ % 2 === 0 ? 0 : 0.99),
    });
    const bulkhead = createBulkhead({ name: "forecast", limit: 1 });
    const budget = createRetryBudget({ ratio: 1, minPerSecond: 1 });
    let calls = 0;
    const handler: Handler = async ({ city }) => {
      calls += 1;
      return text(`sunny in ${city}`);
    };
    const composed = compose(
      "forecast",
      handler,
      withRetry({ idempotent: true, attempts: 3, minDelayMs: 0, maxDelayMs: 0, budget }),
      withBulkhead({ bulkhead }),
      withChaos(chaos),
    );
    expectTypeOf(composed).toEqualTypeOf<Handler>();
    const result = await composed({ city: "Oslo" }, { signal: new AbortController().signal });
    expect(result).toEqual({
      ...text("sunny in Oslo"),
      _meta: { [RETRY_META_KEY]: { attempts: 2 } },
    });
    expect(calls).toBe(1);
    expect(chaos.stats()).toMatchObject({ calls: 2, abort: 1 });
    expect(budget.stats()).toMatchObject({ calls: 1, retries: 1 });
    expect(bulkhead.stats()).toMatchObject({ active: 0, queued: 0 });
  });

  it("refuses chaos outside the bulkhead, naming both", () => {
    const handler = async (_extra: { signal: AbortSignal }) => text("ok");
    expect(() =>
      compose("forecast", handler, withChaos(createChaos()), withBulkhead({ limit: 1 })),
    ).toThrow('compose("forecast") puts bulkhead inside chaos');
  });
});
