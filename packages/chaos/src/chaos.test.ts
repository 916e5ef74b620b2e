import { afterEach, describe, expect, it, vi } from "vitest";
import { ChaosFaultError, ChaosProductionError, createChaos } from "./index.ts";

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe("createChaos", () => {
  it("is off by default: calls run untouched and nothing is counted", async () => {
    const chaos = createChaos({ error: { rate: 1 }, abort: { rate: 1 } });
    expect(chaos.enabled()).toBe(false);
    const fn = vi.fn(async (value: number) => value * 2);
    await expect(chaos.wrap(fn)(21)).resolves.toBe(42);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(chaos.stats()).toEqual({ calls: 0, latency: 0, error: 0, errorResult: 0, abort: 0 });
  });

  it("injects errors while enabled and stops when disabled at run time", async () => {
    const chaos = createChaos({ error: { rate: 1 } });
    const fn = vi.fn(async () => "ran");
    const wrapped = chaos.wrap(fn);
    chaos.enable();
    const error = await wrapped().catch((caught: unknown) => caught);
    expect(ChaosFaultError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "ECHAOS", fault: "error", transient: true });
    expect(fn).not.toHaveBeenCalled();
    chaos.disable();
    await expect(wrapped()).resolves.toBe("ran");
    expect(chaos.stats()).toMatchObject({ calls: 1, error: 1 });
  });

  it("refuses to enable where NODE_ENV is production unless allowInProduction", () => {
    vi.stubEnv("NODE_ENV", "production");
    expect(() => createChaos({ enabled: true })).toThrow(ChaosProductionError);
    const chaos = createChaos({ error: { rate: 1 } });
    const error = (() => {
      try {
        chaos.enable();
      } catch (caught) {
        return caught;
      }
    })();
    expect(ChaosProductionError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "ECHAOSPRODUCTION" });
    expect(chaos.enabled()).toBe(false);
    expect(createChaos({ enabled: true, allowInProduction: true }).enabled()).toBe(true);
  });

  it.each([
    ["Production"],
    ["PRODUCTION"],
    ["production "],
    [" production"],
    ["prod"],
    ["PROD"],
    ["Prod\n"],
  ])("refuses to enable where NODE_ENV is %j, naming the value", (environment) => {
    vi.stubEnv("NODE_ENV", environment);
    const chaos = createChaos({ error: { rate: 1 } });
    expect(() => chaos.enable()).toThrow(ChaosProductionError);
    expect(() => chaos.enable()).toThrow(`NODE_ENV is ${JSON.stringify(environment)}`);
    expect(chaos.enabled()).toBe(false);
    expect(createChaos({ enabled: true, allowInProduction: true }).enabled()).toBe(true);
  });

  it.each([["development"], ["test"], ["staging"], ["production-like"], [""]])(
    "enables where NODE_ENV is %j",
    (environment) => {
      vi.stubEnv("NODE_ENV", environment);
      expect(createChaos({ enabled: true }).enabled()).toBe(true);
    },
  );

  it("draws the same faults from the same seed, at about the configured rate", async () => {
    const outcomes = (seed: number) => {
      const chaos = createChaos({ enabled: true, seed, error: { rate: 0.3 } });
      const wrapped = chaos.wrap(() => "ok");
      return Promise.all(
        Array.from({ length: 1000 }, () =>
          Promise.resolve(wrapped()).then(
            () => 0,
            () => 1,
          ),
        ),
      );
    };
    const first = await outcomes(7);
    expect(await outcomes(7)).toEqual(first);
    expect(await outcomes(8)).not.toEqual(first);
    const failures = first.reduce((sum: number, value) => sum + value, 0);
    expect(failures).toBeGreaterThan(240);
    expect(failures).toBeLessThan(360);
  });

  it("delays calls by latency.ms, and a call's signal ends the wait at once", async () => {
    vi.useFakeTimers();
    const chaos = createChaos({ enabled: true, latency: { rate: 1, ms: 1000 } });
    const fn = vi.fn(async (_options: { signal: AbortSignal }) => "late");
    const wrapped = chaos.wrap(fn);
    const slow = wrapped({ signal: new AbortController().signal });
    await vi.advanceTimersByTimeAsync(999);
    expect(fn).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await expect(slow).resolves.toBe("late");

    const controller = new AbortController();
    const cancelled = wrapped({ signal: controller.signal }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(10);
    controller.abort(new Error("gave up"));
    expect(await cancelled).toEqual(new Error("gave up"));
    expect(vi.getTimerCount()).toBe(0);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(chaos.stats()).toMatchObject({ calls: 2, latency: 2 });
  });

  it("cuts calls off as a reset connection with abort", async () => {
    const chaos = createChaos({ enabled: true, abort: { rate: 1 } });
    const events: unknown[] = [];
    chaos.on("inject", (event) => events.push(event));
    const error = await chaos
      .wrap(async () => "ran")()
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: "ChaosFaultError", code: "ECONNRESET", fault: "abort" });
    expect(events).toEqual([{ fault: "abort" }]);
  });

  it("throws the configured error, fresh per call from a function", async () => {
    const chaos = createChaos({
      enabled: true,
      error: { rate: 1, error: () => Object.assign(new Error("upstream 503"), { status: 503 }) },
    });
    const wrapped = chaos.wrap(async () => "ran");
    const [first, second] = await Promise.all([
      wrapped().catch((e) => e),
      wrapped().catch((e) => e),
    ]);
    expect(first).toMatchObject({ message: "upstream 503", status: 503 });
    expect(first).not.toBe(second);
  });

  it.each([
    [{ error: { rate: 2 } }, "Expected `error.rate` to be a number from 0 to 1, got 2"],
    [
      { latency: { rate: 0.5 } },
      "Expected `latency.ms` to be a non-negative finite number, got undefined",
    ],
    [
      { latency: { rate: 0.5, ms: 10, jitter: 1 } },
      "Unknown option `jitter` in createChaos()'s `latency`",
    ],
    [
      { errorResult: { rate: 1, text: "" } },
      'Expected `errorResult.text` to be a non-empty string, got ""',
    ],
    [{ enabled: "yes" }, 'Expected `enabled` to be a boolean, got "yes"'],
    [{ seed: 1, random: Math.random }, "Expected one of `seed` and `random`, got both"],
    [
      { injectionRate: 0.1 },
      "Unknown option `injectionRate` in createChaos(): use the `rate` of each fault",
    ],
    [{ enabeld: true }, "Unknown option `enabeld` in createChaos(); did you mean `enabled`?"],
  ])("refuses %o", (options, message) => {
    expect(() => createChaos(options as never)).toThrow(TypeError);
    expect(() => createChaos(options as never)).toThrow(message);
  });
});
