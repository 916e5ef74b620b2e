// The breakers and limiters policies configured inline make, named after their
// tools, reach /metrics through their registries: the ones already made and the
// ones a server built per request makes later.
import { breakerRegistry, compose as composeBreaker, withBreaker } from "@mcp-prod/breaker";
import { rateLimiterRegistry, withRateLimit } from "@mcp-prod/ratelimit";
import { serveInMemory } from "@mcp-prod/testkit";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { createTelemetry } from "./index.ts";

afterEach(() => {
  breakerRegistry.clear();
  rateLimiterRegistry.clear();
});

const failing = async () => {
  throw new Error("upstream down");
};

describe("telemetry.observeBreakers", () => {
  it("puts every breaker compose makes on /metrics, made before or after, by the tool's name", async () => {
    const telemetry = createTelemetry({ serviceName: "weather" });
    onTestFinished(() => telemetry.close());
    composeBreaker("history", failing, withBreaker());
    const stop = telemetry.observeBreakers(breakerRegistry);
    // A server built per request: the breaker is made by the first request's.
    for (let call = 0; call < 3; call++) {
      const { client } = await serveInMemory((server) => {
        server.registerTool(
          "forecast",
          {},
          composeBreaker("forecast", failing, withBreaker({ consecutiveFailures: 2 })),
        );
      });
      await client.callTool({ name: "forecast" });
    }
    const exposition = await telemetry.metrics();
    expect(exposition).toContain('mcp_breaker_state{breaker="forecast",state="open"} 1');
    expect(exposition).toContain('mcp_breaker_state{breaker="history",state="closed"} 1');
    expect(exposition).toContain('mcp_breaker_rejects_total{breaker="forecast"} 1');
    stop();
    composeBreaker("later", failing, withBreaker());
    expect(await telemetry.metrics()).not.toContain('breaker="later"');
  });

  it("follows a breaker that replaces a closed one of the same name", async () => {
    const telemetry = createTelemetry({ serviceName: "weather" });
    onTestFinished(() => telemetry.close());
    telemetry.observeBreakers(breakerRegistry);
    composeBreaker("forecast", failing, withBreaker({ consecutiveFailures: 1 }));
    breakerRegistry.get("forecast")?.close();
    const replacement = composeBreaker(
      "forecast",
      failing,
      withBreaker({ consecutiveFailures: 1 }),
    );
    await replacement().catch(() => {});
    expect(await telemetry.metrics()).toContain(
      'mcp_breaker_state{breaker="forecast",state="open"} 1',
    );
  });
});

describe("telemetry.observeRateLimiters", () => {
  it("counts the refusals of a limiter compose made inline, by the tool's name", async () => {
    const telemetry = createTelemetry({ serviceName: "weather" });
    onTestFinished(() => telemetry.close());
    telemetry.observeRateLimiters(rateLimiterRegistry);
    const limited = composeBreaker(
      "forecast",
      async () => ({ content: [] }),
      withRateLimit({ points: 1, durationSeconds: 60 }),
    );
    await limited();
    await limited();
    expect(await telemetry.metrics()).toContain(
      'mcp_ratelimit_limited_total{limiter="forecast"} 1',
    );
  });
});
