import { withBreaker } from "@mcp-prod/breaker";
import { serveInMemory as connect } from "@mcp-prod/testkit";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { text } from "./fallback.test-helpers.ts";
import { compose, FALLBACK_META_KEY, getFallbackMeta, withFallback } from "./index.ts";

describe("compose with withFallback", () => {
  it("answers for the handler's failure and then for the open breaker inside it", async () => {
    const cities: string[] = [];
    const { client } = await connect((server) => {
      server.registerTool(
        "forecast",
        { inputSchema: { city: z.string() } },
        compose(
          "forecast",
          async ({ city }) => {
            cities.push(city);
            throw new Error("forecast API down");
          },
          withFallback({ fallback: async ({ city }) => text(`yesterday's forecast for ${city}`) }),
          withBreaker({ consecutiveFailures: 1, resetTimeout: 60_000 }),
        ),
      );
    });
    const first = await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    expect(first.content).toEqual([{ type: "text", text: "yesterday's forecast for Oslo" }]);
    expect(getFallbackMeta(first)).toEqual({ degraded: true, reason: "error", attempt: 1 });
    const second = await client.callTool({ name: "forecast", arguments: { city: "Bergen" } });
    expect(second.content).toEqual([{ type: "text", text: "yesterday's forecast for Bergen" }]);
    expect(getFallbackMeta(second)).toEqual({ degraded: true, reason: "errorResult", attempt: 1 });
    expect(cities).toEqual(["Oslo"]); // the open breaker answered the second call
  });

  it("takes the fallback alone: a fixed result or a list tried in turn", async () => {
    const { client } = await connect((server) => {
      server.registerTool(
        "status",
        {},
        compose(
          "status",
          async () => ({ ...text("down"), isError: true }),
          withFallback([async () => ({ ...text("still down"), isError: true }), text("unknown")]),
        ),
      );
    });
    const result = await client.callTool({ name: "status" });
    expect(result).toMatchObject({
      content: [{ type: "text", text: "unknown" }],
      _meta: { [FALLBACK_META_KEY]: { degraded: true, reason: "errorResult", attempt: 2 } },
    });
  });

  it("refuses the fallback inside the breaker, naming both and the order", () => {
    const handler = async () => text("ok");
    expect(() => compose("forecast", handler, withBreaker(), withFallback(text("cached")))).toThrow(
      /^compose\("forecast"\) puts fallback inside breaker; the order is telemetry → ratelimit → fallback → idempotency → retry → breaker/,
    );
  });

  it("checks the fallback and its options when the policy is applied", () => {
    const handler = async () => text("ok");
    expect(() => withFallback(undefined as never)).toThrow(
      "Expected a fallback (a handler, a result or a list of them) or `{ fallback, …options }`, got undefined",
    );
    expect(() => compose("t", handler, withFallback([]))).toThrow(
      "Expected `fallback` to hold at least one fallback, got an empty array",
    );
    expect(() =>
      compose("t", handler, withFallback({ fallback: text("x"), timeoutMs: -5 })),
    ).toThrow("Expected `timeoutMs` to be a positive finite number, got -5");
  });
});
