import { beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import {
  BreakerOpenError,
  type BreakerOptions,
  BreakerShutdownError,
  type BreakerState,
  createBreaker,
  type SharedBreaker,
} from "./index.ts";
import { activeRotationClocks } from "./rotation.ts";

function shared(options: BreakerOptions = {}): SharedBreaker {
  const breaker = createBreaker({ name: "upstream", timeout: false, ...options });
  onTestFinished(() => breaker.close());
  return breaker;
}

const fail = () => Promise.reject(new Error("upstream down"));

beforeEach(() => {
  vi.useFakeTimers();
  onTestFinished(() => {
    vi.useRealTimers();
  });
});

describe("createBreaker(options) without an action", () => {
  it("runs any function through one circuit with execute", async () => {
    const breaker = shared({ consecutiveFailures: 1 });
    expect(await breaker.execute(() => "forecast")).toBe("forecast");
    expect(await breaker.execute(async () => 42)).toBe(42);
    await expect(breaker.execute(fail)).rejects.toThrow("upstream down");
    expect(breaker.state).toBe("open");
    const error = await breaker.execute(() => "never called").catch((reason: unknown) => reason);
    expect(BreakerOpenError.isInstance(error)).toBe(true);
    expect(breaker.stats()).toMatchObject({ successes: 2, failures: 1, rejects: 1 });
  });

  it("is named `breaker` when no name is given and takes no `abortable`", () => {
    const breaker = createBreaker();
    onTestFinished(() => breaker.close());
    expect(breaker.name).toBe("breaker");
    expect(() => createBreaker({ abortable: true } as never)).toThrow(
      /^Unknown option `abortable` in createBreaker\(\)/,
    );
  });
});

describe("forceOpen() and forceClose()", () => {
  it("forceOpen() rejects calls at once and lets a probe through after resetTimeout", async () => {
    const breaker = shared({ resetTimeout: 1000 });
    const seen: BreakerState[] = [];
    breaker.on("stateChange", ({ to }) => seen.push(to));
    breaker.forceOpen();
    breaker.forceOpen();
    await expect(breaker.execute(() => "ok")).rejects.toBeInstanceOf(BreakerOpenError);
    vi.advanceTimersByTime(1000);
    expect(await breaker.execute(() => "ok")).toBe("ok");
    expect(seen).toEqual(["open", "halfOpen", "closed"]);
  });

  it("forceClose() closes an open circuit and clears the rolling window", async () => {
    const breaker = shared({ volumeThreshold: 2 });
    await breaker.execute(fail).catch(() => undefined);
    breaker.forceClose();
    await breaker.execute(fail).catch(() => undefined);
    expect(breaker.state).toBe("closed");
    breaker.forceOpen();
    breaker.forceClose();
    expect(breaker.state).toBe("closed");
    vi.advanceTimersByTime(60_000);
    expect(breaker.state).toBe("closed");
  });
});

describe("close()", () => {
  it("disposes: later calls reject with BreakerShutdownError and no timer is left", async () => {
    const before = activeRotationClocks();
    const breaker = createBreaker({ rollingCountTimeout: 7000, rollingCountBuckets: 7 });
    expect(activeRotationClocks()).toBe(before + 1);
    breaker.forceOpen();
    const seen: BreakerState[] = [];
    breaker.on("stateChange", ({ to }) => seen.push(to));
    breaker.close();
    breaker.close();
    expect(activeRotationClocks()).toBe(before);
    vi.advanceTimersByTime(60_000);
    expect(seen).toEqual([]);
    await expect(breaker.execute(() => "ok")).rejects.toBeInstanceOf(BreakerShutdownError);
  });

  it("keeps shutdown() as an alias", async () => {
    const breaker = createBreaker();
    breaker.shutdown();
    await expect(breaker.execute(() => "ok")).rejects.toBeInstanceOf(BreakerShutdownError);
  });
});
