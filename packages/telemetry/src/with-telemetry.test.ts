import { withBreaker } from "@mcp-prod/breaker";
import { createCache, withCache } from "@mcp-prod/cache";
import { getFallbackMeta, withFallback } from "@mcp-prod/fallback";
import { createRateLimiter, withRateLimit } from "@mcp-prod/ratelimit";
import { connectInMemory as connectPair } from "@mcp-prod/testkit";
import { describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { compose, createTelemetry, withTelemetry } from "./index.ts";
import { newServer, seriesValue } from "./telemetry.test-helpers.ts";

function text(value: string) {
  return { content: [{ type: "text" as const, text: value }] };
}

describe("withTelemetry(handler, { telemetry, name })", () => {
  it("records the calls under the given name, as telemetry.wrap does", async () => {
    const telemetry = createTelemetry({ serviceName: "weather-mcp" });
    onTestFinished(() => telemetry.close());
    const server = newServer();
    server.registerTool(
      "forecast",
      { inputSchema: { city: z.string() } },
      withTelemetry(
        async ({ city }) => {
          if (city === "Atlantis") throw new Error("no such city");
          return text(`sunny in ${city}`);
        },
        { telemetry, name: "forecast" },
      ),
    );
    const pair = await connectPair(server);
    onTestFinished(() => pair.close());
    const ok = await pair.client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    expect(ok.content).toEqual([{ type: "text", text: "sunny in Oslo" }]);
    await pair.client.callTool({ name: "forecast", arguments: { city: "Atlantis" } });
    const { registry } = telemetry;
    const calls = (status: string) =>
      seriesValue(registry, "mcp_tool_calls_total", { tool: "forecast", status });
    expect([await calls("success"), await calls("error")]).toEqual([1, 1]);
  });

  it("checks its options, naming the wrong one", () => {
    const telemetry = createTelemetry({ serviceName: "weather-mcp" });
    onTestFinished(() => telemetry.close());
    const handler = async () => text("ok");
    expect(() => withTelemetry(handler, undefined as never)).toThrow(
      "Expected `options` to be an object, got undefined",
    );
    expect(() => withTelemetry(handler, { telemetry } as never)).toThrow(
      "Expected `name` to be a non-empty string, got undefined",
    );
    expect(() => withTelemetry(handler, { telemetry: {} as never, name: "t" })).toThrow(
      "Expected `telemetry` to be a telemetry from createTelemetry()",
    );
    expect(() => withTelemetry(handler, { telemetry, nmae: "t" } as never)).toThrow(
      "Unknown option `nmae` in withTelemetry(); did you mean `name`?",
    );
    expect(() => withTelemetry({ telemetry, tool: "t" } as never)).toThrow(
      "Unknown option `tool` in withTelemetry(): use `name` (the tool's name, the metrics' `tool` label)",
    );
    expect(() => withTelemetry("forecast" as never, { telemetry, name: "t" })).toThrow(
      "Expected `handler` to be a function",
    );
  });
});

describe("compose with every wrapper", () => {
  it("runs telemetry → rate limit → fallback → breaker → cache in one chain, with the tool's name once", async () => {
    const telemetry = createTelemetry({ serviceName: "weather-mcp" });
    const cache = createCache({ name: "forecasts" });
    const limiter = createRateLimiter({ points: 6, durationSeconds: 60 });
    onTestFinished(() => telemetry.close());
    onTestFinished(() => cache.close());
    const upstream: string[] = [];
    const server = newServer();
    server.registerTool(
      "forecast",
      { inputSchema: { city: z.string() } },
      compose(
        "forecast",
        async ({ city }) => {
          upstream.push(city);
          if (city === "Atlantis") throw new Error("forecast API down");
          return text(`sunny in ${city}`);
        },
        withTelemetry({ telemetry }),
        withRateLimit({ limiter }),
        withFallback({ fallback: async ({ city }) => text(`no forecast for ${city} right now`) }),
        withBreaker({ consecutiveFailures: 2, resetTimeout: 60_000 }),
        withCache({ cache, key: ({ city }) => `forecast:${city}`, ttlSeconds: 60 }),
      ),
    );
    const pair = await connectPair(server);
    onTestFinished(() => pair.close());
    const call = (city: string) => pair.client.callTool({ name: "forecast", arguments: { city } });

    expect((await call("Oslo")).content).toEqual(text("sunny in Oslo").content);
    expect((await call("Oslo"))._meta).toMatchObject({ "mcp-prod/cache": { hit: true } });
    for (let index = 0; index < 2; index++) {
      const degraded = await call("Atlantis");
      expect(degraded.content).toEqual(text("no forecast for Atlantis right now").content);
      expect(getFallbackMeta(degraded)).toMatchObject({ reason: "error" });
    }
    const whileOpen = await call("Bergen");
    expect(getFallbackMeta(whileOpen)).toMatchObject({ reason: "errorResult" });
    expect(whileOpen.content).toEqual(text("no forecast for Bergen right now").content);
    expect(upstream).toEqual(["Oslo", "Atlantis", "Atlantis"]);
    await call("Oslo");
    const refused = await call("Oslo");
    expect(refused).toMatchObject({
      isError: true,
      _meta: { "mcp-prod/ratelimit": { limited: true } },
    });

    const calls = (status: string) =>
      seriesValue(telemetry.registry, "mcp_tool_calls_total", { tool: "forecast", status });
    // Oslo twice (the second from the cache); the fallback's answers for Atlantis twice, then for
    // Bergen and Oslo while the circuit is open; the rate limit's refusal.
    const statuses = ["success", "degraded", "limited", "error"] as const;
    expect(await Promise.all(statuses.map(calls))).toEqual([2, 4, 1, 0]);
  });

  it("refuses telemetry inside the rate limit, naming both and the order", () => {
    const telemetry = createTelemetry({ serviceName: "weather-mcp" });
    onTestFinished(() => telemetry.close());
    const handler = async () => text("ok");
    expect(() =>
      compose(
        "forecast",
        handler,
        withRateLimit({ points: 1, durationSeconds: 1 }),
        withTelemetry({ telemetry }),
      ),
    ).toThrow(
      'compose("forecast") puts telemetry inside ratelimit; the order is telemetry → ratelimit → fallback → idempotency → retry → breaker → bulkhead → timeout → cache → chaos (outermost first)',
    );
  });
});
