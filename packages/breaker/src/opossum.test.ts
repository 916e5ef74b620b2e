import { createRequire } from "node:module";
import { deferred, serveInMemory } from "@mcp-prod/testkit";
import type CircuitBreaker from "opossum";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { BREAKER_META_KEY, withBreaker } from "./index.ts";

// Both majors the breaker supports, installed side by side: opossum 8 under an alias.
const require = createRequire(import.meta.url);
const versions: ReadonlyArray<readonly [string, typeof CircuitBreaker]> = [
  ["opossum 8", require("opossum8") as typeof CircuitBreaker],
  ["opossum 9", require("opossum") as typeof CircuitBreaker],
];

const OPEN = {
  content: [{ type: "text", text: "Service temporarily unavailable" }],
  isError: true,
};

describe.each(versions)("withBreaker with an %s CircuitBreaker", (_version, Opossum) => {
  it("answers the open result when the handler's own fire() is refused while the half-open probe is out", async () => {
    vi.useFakeTimers({
      toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"],
    });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    let probe = deferred<string>();
    const breaker = new Opossum(() => probe.promise, {
      volumeThreshold: 1,
      resetTimeout: 1000,
      timeout: false,
    });
    onTestFinished(() => breaker.shutdown());
    breaker.open();
    await vi.advanceTimersByTimeAsync(1000);
    expect(breaker.halfOpen).toBe(true);
    const { client } = await serveInMemory((server) => {
      server.registerTool(
        "status",
        {},
        withBreaker(async () => ({ content: [{ type: "text", text: await breaker.fire() }] }), {
          breaker,
        }),
      );
    });
    const first = client.callTool({ name: "status" });
    await vi.waitFor(() => expect(breaker.stats.fires).toBe(1));
    // The probe is out: opossum refuses this call's fire() with EOPENBREAKER.
    expect(await client.callTool({ name: "status" })).toMatchObject({
      ...OPEN,
      _meta: { [BREAKER_META_KEY]: { open: true } },
    });
    probe.resolve("up");
    expect(await first).toEqual({ content: [{ type: "text", text: "up" }] });
    expect(breaker.closed).toBe(true);
    probe = deferred<string>();
    probe.resolve("still up");
    expect(await client.callTool({ name: "status" })).toEqual({
      content: [{ type: "text", text: "still up" }],
    });
  });

  it("refuses countErrorResults, which opossum cannot honour", () => {
    const breaker = new Opossum(async () => "ok");
    onTestFinished(() => breaker.shutdown());
    expect(() =>
      withBreaker(async () => ({ content: [] }), { breaker, countErrorResults: false }),
    ).toThrow("Expected no `countErrorResults` with an opossum breaker");
  });
});
