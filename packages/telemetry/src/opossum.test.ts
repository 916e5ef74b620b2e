import { createRequire } from "node:module";
import { BREAKER_META_KEY, compose, withBreaker } from "@mcp-prod/breaker";
import { breakerCheck, createHealth } from "@mcp-prod/health";
import { serveInMemory } from "@mcp-prod/testkit";
import type CircuitBreaker from "opossum";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { z } from "zod";
import { createTelemetry } from "./index.ts";
import { seriesValue } from "./telemetry.test-helpers.ts";

// Both majors the breaker supports, installed side by side: opossum 8 under an alias.
const require = createRequire(import.meta.url);
const versions: ReadonlyArray<readonly [string, typeof CircuitBreaker]> = [
  ["opossum 8", require("opossum8") as typeof CircuitBreaker],
  ["opossum 9", require("opossum") as typeof CircuitBreaker],
];

describe.each(versions)("an %s CircuitBreaker a team already has", (_version, Opossum) => {
  it("guards tools through withBreaker and compose, is observed by telemetry and checked by health, through open, half-open and close", async () => {
    vi.useFakeTimers({
      toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"],
    });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    let upstreamUp = false;
    const upstream = async (city: string) => {
      if (!upstreamUp) throw new Error("weather API 503");
      return `sunny in ${city}`;
    };
    const breaker = new Opossum(upstream, {
      name: "weather-api",
      volumeThreshold: 2,
      errorThresholdPercentage: 50,
      resetTimeout: 30_000,
      timeout: false,
    });
    onTestFinished(() => breaker.shutdown());
    const telemetry = createTelemetry({ serviceName: "weather-mcp" });
    onTestFinished(() => telemetry.close());
    telemetry.observeBreaker(breaker);
    const health = createHealth({ checks: { weather: breakerCheck(breaker) }, cacheMs: 0 });
    onTestFinished(() => health.close());

    // The handler fires the team's breaker itself; withBreaker and compose guard the tools with it.
    const forecast = async ({ city }: { city: string }) => ({
      content: [{ type: "text" as const, text: String(await breaker.fire(city)) }],
    });
    const { client } = await serveInMemory((server) => {
      server.registerTool(
        "forecast",
        { inputSchema: { city: z.string() } },
        withBreaker(forecast, { breaker }),
      );
      server.registerTool(
        "outlook",
        { inputSchema: { city: z.string() } },
        compose("outlook", forecast, withBreaker({ breaker })),
      );
    });
    const call = (name: string) => client.callTool({ name, arguments: { city: "Oslo" } });
    const { registry } = telemetry;
    const state = () =>
      Promise.all(
        (["closed", "open", "halfOpen"] as const).map((name) =>
          seriesValue(registry, "mcp_breaker_state", { breaker: "weather-api", state: name }),
        ),
      );
    const transitions = (from: string, to: string) =>
      seriesValue(registry, "mcp_breaker_transitions_total", { breaker: "weather-api", from, to });

    expect(await state()).toEqual([1, 0, 0]);
    expect((await health.check()).checks.weather?.status).toBe("healthy");

    // Two failures open it: the tools then answer at once, without running the handler.
    expect(await call("forecast")).toMatchObject({ isError: true });
    expect(await call("outlook")).toMatchObject({ isError: true });
    expect(breaker.opened).toBe(true);
    const fired = breaker.stats.fires;
    for (const name of ["forecast", "outlook"])
      expect(await call(name)).toEqual({
        content: [{ type: "text", text: "Service temporarily unavailable" }],
        isError: true,
        _meta: { [BREAKER_META_KEY]: { open: true, retryAfterMs: 30_000 } },
      });
    expect(breaker.stats.fires).toBe(fired);
    expect(await state()).toEqual([0, 1, 0]);
    expect(await transitions("closed", "open")).toBe(1);
    expect((await health.check()).checks.weather?.status).toBe("unhealthy");
    expect(
      await seriesValue(registry, "mcp_breaker_calls_total", {
        breaker: "weather-api",
        result: "failure",
      }),
    ).toBe(2);

    // After resetTimeout it lets a probe through.
    await vi.advanceTimersByTimeAsync(30_000);
    expect(breaker.halfOpen).toBe(true);
    expect(await state()).toEqual([0, 0, 1]);
    expect(await transitions("open", "halfOpen")).toBe(1);
    expect((await health.check()).checks.weather?.status).toBe("degraded");

    // The probe succeeds through the composed tool: the circuit closes for both tools.
    upstreamUp = true;
    expect(await call("outlook")).toEqual({ content: [{ type: "text", text: "sunny in Oslo" }] });
    expect(breaker.closed).toBe(true);
    expect(await call("forecast")).toEqual({ content: [{ type: "text", text: "sunny in Oslo" }] });
    expect(await state()).toEqual([1, 0, 0]);
    expect(await transitions("halfOpen", "closed")).toBe(1);
    expect((await health.check()).checks.weather?.status).toBe("healthy");
    expect(
      await seriesValue(registry, "mcp_breaker_calls_total", {
        breaker: "weather-api",
        result: "success",
      }),
    ).toBe(2);
  });
});
