// A handler built once, outside registerTool, keeps its types: the root
// README's composition named with ToolHandlerV1 (SDK 1.x) or ToolHandlerV2
// (SDK 2.x), with policies of several packages typed from it.
import { withBreaker } from "@mcp-prod/breaker";
import { createCache, withCache } from "@mcp-prod/cache";
import { withFallback } from "@mcp-prod/fallback";
import { withRateLimit } from "@mcp-prod/ratelimit";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpServer as McpServer2 } from "@modelcontextprotocol/server";
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  compose,
  createTelemetry,
  type ToolHandlerV1,
  type ToolHandlerV2,
  withTelemetry,
} from "./index.ts";

declare function liveForecast(city: string, signal: AbortSignal): Promise<string>;
const telemetry = createTelemetry({ serviceName: "weather-mcp" });
const cache = createCache({ name: "forecast" });

describe("a composed handler built once", () => {
  it("infers its arguments and extra on SDK 1.x with ToolHandlerV1, and registerTool takes it", () => {
    const inputSchema = { city: z.string() };
    const forecast = compose<ToolHandlerV1<typeof inputSchema>>(
      "forecast",
      async ({ city }, { signal, sessionId }) => {
        expectTypeOf(city).toEqualTypeOf<string>();
        expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
        expectTypeOf(sessionId).toEqualTypeOf<string | undefined>();
        return { content: [{ type: "text", text: await liveForecast(city, signal) }] };
      },
      withTelemetry({ telemetry }),
      withRateLimit({ points: 60, durationSeconds: 60 }),
      withFallback({ content: [{ type: "text", text: "Forecast temporarily unavailable" }] }),
      withBreaker({ consecutiveFailures: 5 }),
      withCache({ cache, key: ({ city }) => `forecast:${city}` }),
    );
    new McpServer({ name: "weather", version: "1.0.0" }).registerTool(
      "forecast",
      { inputSchema },
      forecast,
    );
  });

  it("infers its arguments and ctx on SDK 2.x with ToolHandlerV2, and registerTool takes it", () => {
    const inputSchema = z.object({ city: z.string() });
    const forecast = compose<ToolHandlerV2<typeof inputSchema>>(
      "forecast",
      async ({ city }, ctx) => {
        expectTypeOf(city).toEqualTypeOf<string>();
        expectTypeOf(ctx.mcpReq.signal).toEqualTypeOf<AbortSignal>();
        return { content: [{ type: "text", text: await liveForecast(city, ctx.mcpReq.signal) }] };
      },
      withTelemetry({ telemetry }),
      withBreaker({ consecutiveFailures: 5 }),
      withCache({ cache, key: ({ city }) => `forecast:${city}` }),
    );
    new McpServer2({ name: "weather", version: "1.0.0" }).registerTool(
      "forecast",
      { inputSchema },
      forecast,
    );
  });

  it("without a handler type, a handler built once has nothing to infer from", () => {
    compose("forecast", async (args, extra) => {
      expectTypeOf(args).toBeNever();
      expectTypeOf(extra).toBeNever();
      return { content: [] };
    });
  });
});
