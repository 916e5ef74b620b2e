// A breaker configured inline is the process's one breaker of its name, so a
// server built per request (stateless Streamable HTTP) still opens the circuit.
import { serveInMemory, serveInMemory2, warningsDuring } from "@mcp-prod/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { BREAKER_META_KEY, breakerRegistry, compose, withBreaker } from "./index.ts";

afterEach(() => breakerRegistry.clear());

/** An upstream that always fails, counting the calls that reach it. */
function failingUpstream() {
  const upstream = { calls: 0 };
  const handler = async ({ city }: { city: string }) => {
    upstream.calls += 1;
    throw new Error(`upstream down for ${city}`);
  };
  return { upstream, handler };
}

describe("breakerRegistry", () => {
  it("opens the circuit of a composed tool whose McpServer is built per request: the upstream sees no more calls", async () => {
    const { upstream, handler } = failingUpstream();
    const results = [];
    for (let call = 0; call < 8; call++) {
      // A new server for every request, as a stateless HTTP server builds it.
      const { client } = await serveInMemory((server) => {
        server.registerTool(
          "forecast",
          { inputSchema: { city: z.string() } },
          compose("forecast", handler, withBreaker({ consecutiveFailures: 5 })),
        );
      });
      results.push(await client.callTool({ name: "forecast", arguments: { city: "Oslo" } }));
    }
    expect(upstream.calls).toBe(5);
    expect(results.slice(5).map((result) => result._meta?.[BREAKER_META_KEY])).toEqual(
      Array(3).fill({ open: true, retryAfterMs: expect.any(Number) }),
    );
    expect(breakerRegistry.get("forecast")?.state).toBe("open");
    expect(breakerRegistry.names()).toEqual(["forecast"]);
  });

  it("does the same on SDK 2.x, and for a handler wrapped with an explicit name", async () => {
    const { upstream, handler } = failingUpstream();
    for (let call = 0; call < 4; call++) {
      const { client } = await serveInMemory2((server) => {
        server.registerTool(
          "forecast",
          { inputSchema: z.object({ city: z.string() }) },
          withBreaker(handler, { name: "weather-api", consecutiveFailures: 2 }),
        );
      });
      await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    }
    expect(upstream.calls).toBe(2);
    expect(breakerRegistry.get("weather-api")?.state).toBe("open");
  });

  it("refuses one name configured two ways, naming the option, after checking the values", () => {
    const { handler } = failingUpstream();
    compose("forecast", handler, withBreaker({ consecutiveFailures: 5 }));
    expect(() => compose("forecast", handler, withBreaker({ consecutiveFailures: 3 }))).toThrow(
      new TypeError(
        'compose("forecast") asks for the breaker "forecast" with `consecutiveFailures` 3, but it was made with 5: one name is one breaker in the process. Give this one its own `name`, or the same options.',
      ),
    );
    expect(() => compose("forecast", handler, withBreaker({ consecutiveFailures: -1 }))).toThrow(
      "Expected `consecutiveFailures` to be a positive integer, got -1",
    );
    // Functions are taken from the first configuration: a factory makes new closures each time.
    expect(() =>
      compose(
        "forecast",
        handler,
        withBreaker({ consecutiveFailures: 5, errorFilter: () => false }),
      ),
    ).not.toThrow();
  });

  it("makes a new breaker once the registered one is closed", async () => {
    const { handler } = failingUpstream();
    compose("forecast", handler, withBreaker({ consecutiveFailures: 1 }));
    const first = breakerRegistry.get("forecast");
    first?.close();
    expect(breakerRegistry.has("forecast")).toBe(false);
    compose("forecast", handler, withBreaker({ consecutiveFailures: 1 }));
    expect(breakerRegistry.get("forecast")).not.toBe(first);
  });

  it("tells an observer about each breaker compose makes", () => {
    const { handler } = failingUpstream();
    const added = vi.fn();
    const off = breakerRegistry.on("add", added);
    compose("forecast", handler, withBreaker());
    compose("forecast", handler, withBreaker());
    compose("history", handler, withBreaker());
    off();
    expect(added.mock.calls.map(([entry]) => entry.name)).toEqual(["forecast", "history"]);
    expect(added.mock.calls[0]?.[0].value).toBe(breakerRegistry.get("forecast"));
  });

  it("warns once when one line builds a second unnamed breaker, which a factory per request would do", async () => {
    const { handler } = failingUpstream();
    const build = () => withBreaker(handler, { consecutiveFailures: 5 });
    expect(await warningsDuring("MCP_PROD_INLINE_BREAKER", build)).toEqual([]);
    const inline = await warningsDuring("MCP_PROD_INLINE_BREAKER", () => {
      build();
      build();
    });
    expect(inline).toHaveLength(1);
    expect(inline[0]?.message).toMatch(/registry\.test\.ts:\d+:\d+ made a second breaker/);
    expect(breakerRegistry.size).toBe(0);
  });
});
