import { describe, expect, it } from "vitest";
import { backoffDelay } from "./index.ts";

const at = (value: number) => () => value;

describe("backoffDelay", () => {
  const plan = { minDelayMs: 100, maxDelayMs: 1000 } as const;

  it("doubles from minDelayMs up to maxDelayMs with no jitter", () => {
    const waits = [1, 2, 3, 4, 5, 6].map((retry) =>
      backoffDelay(retry, { ...plan, jitter: "none" }),
    );
    expect(waits).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(5000, { ...plan, jitter: "none" })).toBe(1000);
  });

  it("spreads full jitter over [0, the exponential delay)", () => {
    expect(backoffDelay(3, { ...plan, jitter: "full", random: at(0) })).toBe(0);
    expect(backoffDelay(3, { ...plan, jitter: "full", random: at(0.5) })).toBe(200);
  });

  it("keeps equal jitter within [half, all] of the exponential delay", () => {
    expect(backoffDelay(3, { ...plan, jitter: "equal", random: at(0) })).toBe(200);
    expect(backoffDelay(3, { ...plan, jitter: "equal", random: at(0.999) })).toBeCloseTo(399.8);
    expect(backoffDelay(9, { ...plan, jitter: "equal", random: at(0) })).toBe(500);
  });

  it("draws decorrelated jitter between minDelayMs and three times the previous wait, capped", () => {
    const decorrelated = { ...plan, jitter: "decorrelated" } as const;
    expect(backoffDelay(1, { ...decorrelated, random: at(0) })).toBe(100);
    expect(backoffDelay(2, { ...decorrelated, random: at(0.5) }, 200)).toBe(350);
    expect(backoffDelay(7, { ...decorrelated, random: at(0.9) }, 900)).toBe(1000);
  });

  it("uses Math.random when no source is given", () => {
    for (let index = 0; index < 50; index++) {
      const wait = backoffDelay(2, { ...plan, jitter: "equal" });
      expect(wait).toBeGreaterThanOrEqual(100);
      expect(wait).toBeLessThanOrEqual(200);
    }
  });
});
