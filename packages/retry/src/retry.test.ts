import { seededRandom } from "@mcp-prod/internal";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createRetryBudget, isRetryable, RetryError, retry } from "./index.ts";

function networkError(code = "ECONNRESET"): Error {
  return Object.assign(new Error(`socket ${code}`), { code });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("retry", () => {
  it("resolves with the first success, handing fn the caller's signal and the attempt", async () => {
    const controller = new AbortController();
    const seen: Array<{ signal: AbortSignal; attempt: number }> = [];
    const value = await retry(
      (context) => {
        seen.push(context);
        return 42;
      },
      { signal: controller.signal },
    );
    expect(value).toBe(42);
    expect(seen).toEqual([{ signal: controller.signal, attempt: 1 }]);
  });

  it("hands fn a signal that never aborts when the caller gave none", async () => {
    const signal = await retry(({ signal }) => Promise.resolve(signal));
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal.aborted).toBe(false);
  });

  it("retries a transient error after a wait and resolves with the later success", async () => {
    vi.useFakeTimers();
    const retries: Array<{ attempt: number; delayMs: number }> = [];
    const attempts: number[] = [];
    const call = retry(
      async ({ attempt }) => {
        attempts.push(attempt);
        if (attempt < 3) throw networkError();
        return "ok";
      },
      {
        minDelayMs: 100,
        onRetry: ({ attempt, delayMs, error }) => {
          expect((error as { code: string }).code).toBe("ECONNRESET");
          retries.push({ attempt, delayMs });
        },
      },
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(attempts).toEqual([1]);
    await vi.runAllTimersAsync();
    await expect(call).resolves.toBe("ok");
    expect(attempts).toEqual([1, 2, 3]);
    expect(retries.map(({ attempt }) => attempt)).toEqual([1, 2]);
    for (const { delayMs } of retries) expect(delayMs).toBeGreaterThanOrEqual(100);
  });

  it("waits the delay it reports before the next attempt", async () => {
    vi.useFakeTimers();
    let delayMs = 0;
    let calls = 0;
    const call = retry(
      () => {
        calls += 1;
        if (calls === 1) throw networkError();
        return "ok";
      },
      { jitter: "none", minDelayMs: 250, onRetry: (info) => (delayMs = info.delayMs) },
    );
    await vi.advanceTimersByTimeAsync(249);
    expect({ calls, delayMs }).toEqual({ calls: 1, delayMs: 250 });
    await vi.advanceTimersByTimeAsync(1);
    await expect(call).resolves.toBe("ok");
    expect(calls).toBe(2);
  });

  it("rejects with ERETRYEXHAUSTED holding every attempt's error in order", async () => {
    const errors = [networkError("ECONNRESET"), networkError("ETIMEDOUT"), networkError("EPIPE")];
    let index = 0;
    const error = await retry(
      () => {
        throw errors[index++];
      },
      { attempts: 3, minDelayMs: 0, maxDelayMs: 0 },
    ).catch((caught: unknown) => caught);
    expect(RetryError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ name: "RetryError", code: "ERETRYEXHAUSTED", attempts: 3 });
    expect((error as RetryError).errors).toEqual(errors);
    expect((error as RetryError).cause).toBe(errors[2]);
  });

  it.each([
    ["a TypeError", new TypeError("city must be a string")],
    [
      "a zod-like validation error",
      Object.assign(new Error("invalid"), { name: "ZodError", issues: [] }),
    ],
    ["an MCP InvalidParams error", Object.assign(new Error("bad params"), { code: -32602 })],
    [
      "an error marked transient: false",
      Object.assign(new Error("gone"), { transient: false, code: "ECONNRESET" }),
    ],
    ["a plain Error", new Error("not found")],
  ])("does not retry %s and rejects with it unchanged", async (_name, thrown) => {
    let calls = 0;
    const error = await retry(() => {
      calls += 1;
      throw thrown;
    }).catch((caught: unknown) => caught);
    expect(error).toBe(thrown);
    expect(calls).toBe(1);
  });

  it.each([
    ["ECONNRESET", networkError("ECONNRESET")],
    ["ECONNREFUSED", networkError("ECONNREFUSED")],
    ["EAI_AGAIN", networkError("EAI_AGAIN")],
    [
      "undici's fetch failed",
      new TypeError("fetch failed", { cause: networkError("ECONNREFUSED") }),
    ],
    ["UND_ERR_HEADERS_TIMEOUT", networkError("UND_ERR_HEADERS_TIMEOUT")],
    [
      "an open breaker",
      Object.assign(new Error("open"), { code: "EOPENBREAKER", retryAfterMs: 0 }),
    ],
    [
      "a rate limit refusal",
      Object.assign(new Error("limited"), { code: "ERATELIMITED", retryAfterMs: 0 }),
    ],
    ["a full bulkhead", Object.assign(new Error("busy"), { code: "EBULKHEADFULL" })],
    ["a cache factory timeout", Object.assign(new Error("slow"), { code: "ECACHETIMEOUT" })],
    [
      "an older cache copy's factory timeout",
      Object.assign(new Error("slow"), { code: "ERR_CACHE_TIMEOUT" }),
    ],
    ["a timeout", new DOMException("The operation timed out", "TimeoutError")],
    ["an MCP request timeout", Object.assign(new Error("timed out"), { code: -32001 })],
    ["an error marked transient", Object.assign(new Error("flaky"), { transient: true })],
    ["an error with isTransient()", Object.assign(new Error("flaky"), { isTransient: () => true })],
    ["an HTTP 503", Object.assign(new Error("unavailable"), { status: 503 })],
  ])("retries %s by default", (_name, error) => {
    expect(isRetryable(error)).toBe(true);
  });

  it("honours retryAfterMs when it fits within maxDelayMs", async () => {
    vi.useFakeTimers();
    let calls = 0;
    const call = retry(
      () => {
        calls += 1;
        if (calls === 1)
          throw Object.assign(new Error("open"), { code: "EOPENBREAKER", retryAfterMs: 2000 });
        return "closed again";
      },
      { minDelayMs: 10, maxDelayMs: 5000 },
    );
    await vi.advanceTimersByTimeAsync(1999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(call).resolves.toBe("closed again");
  });

  it("gives up at once when the error asks for a wait longer than maxDelayMs", async () => {
    const refusal = Object.assign(new Error("limited"), {
      code: "ERATELIMITED",
      retryAfterMs: 60_000,
    });
    let calls = 0;
    const error = await retry(
      () => {
        calls += 1;
        throw refusal;
      },
      { maxDelayMs: 10_000 },
    ).catch((caught: unknown) => caught);
    expect(error).toBe(refusal);
    expect(calls).toBe(1);
  });

  it("honours an HTTP Retry-After header on the error's response", async () => {
    vi.useFakeTimers();
    const delays: number[] = [];
    let calls = 0;
    const call = retry(
      () => {
        calls += 1;
        if (calls === 1)
          throw Object.assign(new Error("HTTP 429"), {
            response: { status: 429, headers: new Headers({ "Retry-After": "3" }) },
          });
        return "ok";
      },
      { minDelayMs: 10, onRetry: ({ delayMs }) => delays.push(delayMs) },
    );
    await vi.runAllTimersAsync();
    await expect(call).resolves.toBe("ok");
    expect(delays).toEqual([3000]);
  });

  it("rejects at once with the signal's reason when cancelled during a backoff wait, leaving no timer", async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    let calls = 0;
    const call = retry(
      () => {
        calls += 1;
        throw networkError();
      },
      { minDelayMs: 5000, signal: controller.signal },
    );
    const outcome = call.catch((caught: unknown) => caught);
    await vi.advanceTimersByTimeAsync(100);
    expect(vi.getTimerCount()).toBe(1);
    const reason = new Error("client went away");
    controller.abort(reason);
    // No timer is advanced: the rejection must not wait for the backoff.
    await expect(outcome).resolves.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
    expect(calls).toBe(1);
  });

  it("never retries the caller's own cancellation", async () => {
    const controller = new AbortController();
    let calls = 0;
    const error = await retry(
      ({ signal }) => {
        calls += 1;
        controller.abort(new Error("cancelled"));
        throw signal.reason;
      },
      { signal: controller.signal, minDelayMs: 0 },
    ).catch((caught: unknown) => caught);
    expect(error).toEqual(new Error("cancelled"));
    expect(calls).toBe(1);
  });

  it("rejects before calling fn when the signal is already aborted", async () => {
    const fn = vi.fn();
    await expect(retry(fn, { signal: AbortSignal.abort(new Error("late")) })).rejects.toThrow(
      "late",
    );
    expect(fn).not.toHaveBeenCalled();
  });

  it("keeps decorrelated jitter within [minDelayMs, maxDelayMs] and spreads callers that failed together", async () => {
    vi.useFakeTimers();
    const random = seededRandom(17);
    const byRetry = new Map<number, number[]>();
    const callers = Array.from({ length: 200 }, () =>
      retry(
        () => {
          throw networkError();
        },
        {
          attempts: 8,
          minDelayMs: 100,
          maxDelayMs: 2000,
          random,
          onRetry: ({ attempt, delayMs }) =>
            byRetry.set(attempt, [...(byRetry.get(attempt) ?? []), delayMs]),
        },
      ).catch((error: unknown) => error),
    );
    await vi.runAllTimersAsync();
    for (const error of await Promise.all(callers))
      expect((error as RetryError).code).toBe("ERETRYEXHAUSTED");
    const all = [...byRetry.values()].flat();
    expect(all).toHaveLength(200 * 7);
    for (const delayMs of all) {
      expect(delayMs).toBeGreaterThanOrEqual(100);
      expect(delayMs).toBeLessThanOrEqual(2000);
    }
    // The first retries of 200 callers that failed at once fall across the whole
    // first range [100, 300), a quarter of them (±40 %) in each quarter of it.
    const first = byRetry.get(1) ?? [];
    const quarters = [0, 1, 2, 3].map(
      (quarter) =>
        first.filter((delayMs) => Math.min(3, Math.floor((delayMs - 100) / 50)) === quarter).length,
    );
    for (const count of quarters) expect(count).toBeGreaterThan(30);
    // Later retries keep spreading: no two callers wait the same time before retry 3.
    expect(new Set(byRetry.get(3)).size).toBe(200);
    // And the wait grows: the median of retry 4 is above that of retry 1.
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
    expect(median(byRetry.get(4) ?? [])).toBeGreaterThan(median(first));
  });

  it("keeps full jitter within [0, the exponential delay] and 'none' on it exactly", async () => {
    vi.useFakeTimers();
    const full: Array<{ attempt: number; delayMs: number }> = [];
    const none: number[] = [];
    const failing = () => {
      throw networkError();
    };
    const calls = [
      retry(failing, {
        attempts: 6,
        jitter: "full",
        random: seededRandom(1),
        onRetry: (info) => full.push(info),
      }),
      retry(failing, { attempts: 6, jitter: "none", onRetry: ({ delayMs }) => none.push(delayMs) }),
    ].map((call) => call.catch(() => undefined));
    await vi.runAllTimersAsync();
    await Promise.all(calls);
    for (const { attempt, delayMs } of full) {
      expect(delayMs).toBeGreaterThanOrEqual(0);
      expect(delayMs).toBeLessThanOrEqual(100 * 2 ** (attempt - 1));
    }
    expect(new Set(full.map(({ delayMs }) => delayMs)).size).toBe(5);
    expect(none).toEqual([100, 200, 400, 800, 1600]);
  });

  it("keeps equal jitter within [half the exponential delay, the exponential delay]", async () => {
    vi.useFakeTimers();
    const waits: Array<{ attempt: number; delayMs: number }> = [];
    const call = retry(
      () => {
        throw networkError();
      },
      {
        attempts: 6,
        jitter: "equal",
        random: seededRandom(2),
        onRetry: (info) => waits.push(info),
      },
    ).catch(() => undefined);
    await vi.runAllTimersAsync();
    await call;
    expect(waits).toHaveLength(5);
    for (const { attempt, delayMs } of waits) {
      expect(delayMs).toBeGreaterThanOrEqual(50 * 2 ** (attempt - 1));
      expect(delayMs).toBeLessThanOrEqual(100 * 2 ** (attempt - 1));
    }
  });
});

describe("createRetryBudget", () => {
  it("holds retries to ratio × calls + floor under a failing upstream with 100 concurrent callers", async () => {
    vi.useFakeTimers();
    const budget = createRetryBudget({ ratio: 0.2, minPerSecond: 1 });
    let upstreamCalls = 0;
    const upstream = async () => {
      upstreamCalls += 1;
      throw networkError("ECONNREFUSED");
    };
    const callers = Array.from({ length: 100 }, () =>
      retry(upstream, { attempts: 5, minDelayMs: 10, maxDelayMs: 100, budget }).catch(
        (error: unknown) => error,
      ),
    );
    await vi.runAllTimersAsync();
    const errors = (await Promise.all(callers)) as RetryError[];
    // Floor: 1 retry per second over the 10 s window.
    const floor = 10;
    expect(upstreamCalls).toBeLessThanOrEqual((1 + 0.2) * 100 + floor);
    // The budget was spent, not idle: every allowed retry ran.
    expect(upstreamCalls).toBe(100 + 0.2 * 100 + floor);
    const codes = errors.map((error) => error.code);
    expect(codes.filter((code) => code === "ERETRYBUDGET").length).toBeGreaterThan(0);
    expect(codes.every((code) => code === "ERETRYBUDGET" || code === "ERETRYEXHAUSTED")).toBe(true);
    expect(budget.stats()).toMatchObject({ calls: 100, retries: 30, available: 0 });
    expect(budget.stats().refused).toBe(codes.filter((code) => code === "ERETRYBUDGET").length);
  });

  it("allows retries again once the failures leave the window", async () => {
    vi.useFakeTimers();
    const budget = createRetryBudget({ ratio: 0, minPerSecond: 0.1, windowMs: 10_000 });
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(budget.tryRetry()).toBe(true);
  });

  it("validates its options", () => {
    expect(() => createRetryBudget({ ratio: -1 })).toThrow(
      "Expected `ratio` to be a non-negative finite number, got -1",
    );
    expect(() => createRetryBudget({ percentCanRetry: 20 } as never)).toThrow(
      "Unknown option `percentCanRetry` in createRetryBudget(): use `ratio`",
    );
  });
});

describe("retry options", () => {
  it.each([
    [{ attempts: 0 }, "Expected `attempts` to be a positive integer, got 0"],
    [{ minDelayMs: -1 }, "Expected `minDelayMs` to be a non-negative finite number, got -1"],
    [
      { minDelayMs: 500, maxDelayMs: 100 },
      "Expected `maxDelayMs` to be at least `minDelayMs` (500), got 100",
    ],
    [
      { jitter: "half" },
      'Expected `jitter` to be one of "decorrelated", "full", "equal", "none", got "half"',
    ],
    [{ retryOn: true }, "Expected `retryOn` to be a function, got true"],
    [{ atempts: 3 }, "Unknown option `atempts` in retry(); did you mean `attempts`?"],
    [
      { maxAttempts: 3 },
      "Unknown option `maxAttempts` in retry(): use `attempts` (total tries, the first included)",
    ],
    [
      { retries: 2 },
      "Unknown option `retries` in retry(): use `attempts` (total tries: retries + 1)",
    ],
    [{ minTimeout: 10 }, "Unknown option `minTimeout` in retry(): use `minDelayMs`"],
    [{ factor: 2 }, "Unknown option `factor` in retry(): no counterpart"],
  ])("refuses %o", (options, message) => {
    expect(() => retry(() => 1, options as never)).toThrow(TypeError);
    expect(() => retry(() => 1, options as never)).toThrow(message);
  });
});
