import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { countAbortControllers } from "./fallback.test-helpers.ts";
import {
  type AttemptContext,
  FallbackError,
  FallbackTimeoutError,
  fallbackChain,
  fetchWithFallback,
} from "./index.ts";

class ValidationError extends Error {}

/** A promise that settles only when the attempt's signal aborts. */
function untilAborted(context: AttemptContext): Promise<never> {
  return new Promise((_, reject) => {
    context.signal.addEventListener("abort", () => reject(context.signal.reason), { once: true });
  });
}

/** Records how a promise settled, so a test can check it is still pending. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("fetchWithFallback", () => {
  it("returns the primary's value without calling the fallback", async () => {
    const fallback = vi.fn(() => "cached");
    await expect(fetchWithFallback(async () => "live", fallback)).resolves.toBe("live");
    expect(fallback).not.toHaveBeenCalled();
  });

  it("answers a failed primary with the fallback, the two-argument call", async () => {
    const failure = new Error("api down");
    const fallback = vi.fn((_context: AttemptContext) => Promise.resolve("cached"));
    const data = await fetchWithFallback(() => Promise.reject(failure), fallback);
    expect(data).toBe("cached");
    expect(fallback).toHaveBeenCalledTimes(1);
    const context = fallback.mock.calls[0]?.[0];
    expect(context?.attempt).toBe(1);
    expect(context?.error).toBe(failure);
  });

  it("falls back when the primary throws synchronously", async () => {
    const data = await fetchWithFallback<string>(
      () => {
        throw new Error("sync");
      },
      () => "cached",
    );
    expect(data).toBe("cached");
  });

  it("rethrows the primary's error untouched with fallbackOnError = false", async () => {
    const failure = new Error("api down");
    const fallback = vi.fn(() => "cached");
    await expect(fetchWithFallback(() => Promise.reject(failure), fallback, false)).rejects.toBe(
      failure,
    );
    expect(fallback).not.toHaveBeenCalled();
  });

  it("rethrows an error that `when` refuses, and falls back on the others", async () => {
    const when = (error: unknown) => !(error instanceof ValidationError);
    const invalid = new ValidationError("bad city");
    await expect(
      fetchWithFallback(
        () => Promise.reject(invalid),
        () => "cached",
        { when },
      ),
    ).rejects.toBe(invalid);
    await expect(
      fetchWithFallback(
        () => Promise.reject(new Error("503")),
        () => "cached",
        { when },
      ),
    ).resolves.toBe("cached");
  });

  it("rejects with a FallbackError holding both causes in order when the fallback fails too", async () => {
    const primaryError = new Error("api down");
    const fallbackError = new Error("cache empty");
    const error = await fetchWithFallback(
      () => Promise.reject(primaryError),
      () => Promise.reject(fallbackError),
    ).catch((caught: unknown) => caught);
    expect(FallbackError.isInstance(error)).toBe(true);
    const fallbackFailure = error as FallbackError;
    expect(fallbackFailure.code).toBe("EFALLBACK");
    expect(fallbackFailure.name).toBe("FallbackError");
    expect(fallbackFailure.errors).toEqual([primaryError, fallbackError]);
    expect(fallbackFailure.cause).toBe(fallbackError);
    expect(fallbackFailure.message).toBe("All 2 attempts failed; the last with: cache empty");
  });

  it("reports each fallback through onFallback with the error and the attempt", async () => {
    const failure = new Error("api down");
    const onFallback = vi.fn();
    await fetchWithFallback(
      () => Promise.reject(failure),
      () => "cached",
      { onFallback },
    );
    expect(onFallback).toHaveBeenCalledWith(failure, { attempt: 1 });
  });

  it("still serves the fallback when the onFallback hook throws, surfacing the throw as a warning", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const data = await fetchWithFallback(
        () => Promise.reject(new Error("api down")),
        () => "cached",
        {
          onFallback: () => {
            throw new Error("logger broken");
          },
        },
      );
      await new Promise((resolve) => setImmediate(resolve));
      expect(data).toBe("cached");
      expect(warnings.map(({ name, message }) => `${name}: ${message}`)).toContain(
        "McpProdHookWarning: logger broken",
      );
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("gives up on a primary slower than timeoutMs, aborts its signal and falls back", async () => {
    vi.useFakeTimers();
    let primarySignal: AbortSignal | undefined;
    const onFallback = vi.fn();
    const pending = track(
      fetchWithFallback(
        (context) => {
          primarySignal = context.signal;
          return untilAborted(context);
        },
        () => "cached",
        { timeoutMs: 2000, onFallback },
      ),
    );
    await vi.advanceTimersByTimeAsync(1999);
    expect(pending.settled).toBe(false);
    expect(primarySignal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(pending).toEqual({ settled: true, value: "cached" });
    expect(primarySignal?.aborted).toBe(true);
    expect(FallbackTimeoutError.isInstance(primarySignal?.reason)).toBe(true);
    const [timeout] = onFallback.mock.calls[0] ?? [];
    expect(timeout).toMatchObject({ code: "EFALLBACKTIMEOUT", timeoutMs: 2000 });
  });

  it("falls back at the deadline even when the primary ignores its signal", async () => {
    vi.useFakeTimers();
    const pending = track(
      fetchWithFallback(
        () => new Promise<string>(() => {}),
        () => "cached",
        { timeoutMs: 50 },
      ),
    );
    await vi.advanceTimersByTimeAsync(50);
    expect(pending).toEqual({ settled: true, value: "cached" });
  });

  it("clears the deadline timer when the primary answers in time", async () => {
    vi.useFakeTimers();
    await expect(
      fetchWithFallback(
        async () => "live",
        () => "cached",
        { timeoutMs: 2000 },
      ),
    ).resolves.toBe("live");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("leaves no listener on the caller's signal and no timer once a call with a deadline settles", async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const options = { timeoutMs: 100, signal: controller.signal };
    await fetchWithFallback(
      ({ signal }) => (signal.aborted ? "aborted" : "live"),
      () => "cached",
      options,
    );
    const slow = track(
      fetchWithFallback(
        (context) => untilAborted(context),
        () => "cached",
        options,
      ),
    );
    await vi.advanceTimersByTimeAsync(100);
    expect(slow).toEqual({ settled: true, value: "cached" });
    await fetchWithFallback(
      () => Promise.reject(new Error("down")),
      () => "cached",
      options,
    );
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("gives the primary an unaborted signal when there is neither a deadline nor a caller signal", async () => {
    const seen = await fetchWithFallback(
      ({ signal }) => signal.aborted,
      () => true,
    );
    expect(seen).toBe(false);
  });

  it("hands the caller's signal itself to the primary when there is no deadline", async () => {
    const controller = new AbortController();
    const seen = await fetchWithFallback(
      ({ signal }) => signal,
      () => undefined,
      { signal: controller.signal },
    );
    expect(seen).toBe(controller.signal);
  });

  it.each([
    ["without a deadline", {}],
    ["with a deadline", { timeoutMs: 10_000 }],
  ])(
    "answers a caller's cancellation with its reason, never with the fallback (%s)",
    async (_, extra) => {
      const controller = new AbortController();
      const fallback = vi.fn(() => "cached");
      let primarySignal: AbortSignal | undefined;
      const pending = fetchWithFallback(
        (context) => {
          primarySignal = context.signal;
          return untilAborted(context);
        },
        fallback,
        { signal: controller.signal, ...extra },
      );
      const reason = new Error("client cancelled");
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      expect(primarySignal?.aborted).toBe(true);
      expect(fallback).not.toHaveBeenCalled();
    },
  );

  it("rejects with the caller's reason, not the value, when a primary that ignores its signal succeeds after the cancellation", async () => {
    const controller = new AbortController();
    const reason = new Error("client cancelled");
    let finish!: (value: string) => void;
    const fallback = vi.fn(() => "cached");
    const pending = fetchWithFallback(
      () =>
        new Promise<string>((resolve) => {
          finish = resolve;
        }),
      fallback,
      { signal: controller.signal },
    );
    controller.abort(reason);
    finish("live");
    await expect(pending).rejects.toBe(reason);
    expect(fallback).not.toHaveBeenCalled();
  });

  it("creates no AbortController on the happy path unless the attempt reads its signal", async () => {
    const callerSignal = new AbortController().signal;
    const withoutDeadline = await countAbortControllers(async () => {
      await fetchWithFallback(
        async () => "live",
        () => "cached",
      );
      await fetchWithFallback(
        async () => "live",
        () => "cached",
        { signal: callerSignal },
      );
      await fallbackChain([async () => "live", () => "cached"], { onFallback: () => {} });
    });
    expect(withoutDeadline).toBe(0);
    // With a deadline, the attempt's own signal is made only when it is read.
    const deadlineUnread = await countAbortControllers(() =>
      fetchWithFallback(
        async () => "live",
        () => "cached",
        { timeoutMs: 1000 },
      ),
    );
    expect(deadlineUnread).toBe(0);
    const deadlineRead = await countAbortControllers(() =>
      fetchWithFallback(
        async ({ signal }) => (signal.aborted ? "aborted" : "live"),
        () => "cached",
        { timeoutMs: 1000 },
      ),
    );
    expect(deadlineRead).toBe(1);
  });

  it("with a deadline, answers a cancellation with its reason even when the primary never reads its signal", async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const reason = new Error("client cancelled");
    const fallback = vi.fn(() => "cached");
    const pending = track(
      fetchWithFallback(() => new Promise<string>(() => {}), fallback, {
        timeoutMs: 100,
        signal: controller.signal,
      }),
    );
    controller.abort(reason);
    await vi.advanceTimersByTimeAsync(100);
    expect(pending).toEqual({ settled: true, error: reason });
    expect(fallback).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects at once, without calling the primary, when the signal is already aborted", async () => {
    const controller = new AbortController();
    const reason = new Error("gone");
    controller.abort(reason);
    const primary = vi.fn(() => "live");
    await expect(
      fetchWithFallback(primary, () => "cached", { signal: controller.signal }),
    ).rejects.toBe(reason);
    expect(primary).not.toHaveBeenCalled();
  });

  it("rejects with the cancellation, not a FallbackError, when the caller cancels during the fallback", async () => {
    const controller = new AbortController();
    const reason = new Error("client cancelled");
    const pending = fetchWithFallback(
      () => Promise.reject(new Error("api down")),
      (context) => {
        queueMicrotask(() => controller.abort(reason));
        return untilAborted(context);
      },
      { signal: controller.signal },
    );
    await expect(pending).rejects.toBe(reason);
  });

  it("validates its arguments with a TypeError naming each", async () => {
    await expect(fetchWithFallback("x" as never, () => 1)).rejects.toThrow(
      new TypeError('Expected `primary` to be a function, got "x"'),
    );
    await expect(fetchWithFallback(() => 1, undefined as never)).rejects.toThrow(
      new TypeError("Expected `fallback` to be a function, got undefined"),
    );
    await expect(
      fetchWithFallback(
        () => 1,
        () => 2,
        { timeoutMs: -1 },
      ),
    ).rejects.toThrow(new TypeError("Expected `timeoutMs` to be a positive finite number, got -1"));
    await expect(
      fetchWithFallback(
        () => 1,
        () => 2,
        { when: true as never },
      ),
    ).rejects.toThrow(new TypeError("Expected `when` to be a function, got true"));
    await expect(
      fetchWithFallback(
        () => 1,
        () => 2,
        { onFallback: "log" as never },
      ),
    ).rejects.toThrow(new TypeError('Expected `onFallback` to be a function, got "log"'));
    await expect(
      fetchWithFallback(
        () => 1,
        () => 2,
        { signal: {} as never },
      ),
    ).rejects.toThrow(new TypeError("Expected `signal` to be an AbortSignal, got an object"));
  });
});

describe("fallbackChain", () => {
  it("tries each attempt in turn and returns the first success", async () => {
    const first = new Error("primary down");
    const second = new Error("replica down");
    const contexts: Array<{ attempt: number; error: unknown }> = [];
    const value = await fallbackChain<string>([
      ({ attempt, error }) => {
        contexts.push({ attempt, error });
        throw first;
      },
      ({ attempt, error }) => {
        contexts.push({ attempt, error });
        return Promise.reject(second);
      },
      ({ attempt, error }) => {
        contexts.push({ attempt, error });
        return "static";
      },
      () => "never reached",
    ]);
    expect(value).toBe("static");
    expect(contexts).toEqual([
      { attempt: 0, error: undefined },
      { attempt: 1, error: first },
      { attempt: 2, error: second },
    ]);
  });

  it("rejects with a FallbackError carrying every cause in order when all fail", async () => {
    const causes = [new Error("a"), new Error("b"), new Error("c")];
    const error = await fallbackChain(causes.map((cause) => () => Promise.reject(cause))).catch(
      (caught: unknown) => caught,
    );
    expect(FallbackError.isInstance(error)).toBe(true);
    expect((error as FallbackError).errors).toEqual(causes);
  });

  it("bounds every attempt but the last with timeoutMs", async () => {
    vi.useFakeTimers();
    const signals: AbortSignal[] = [];
    const hang = (context: AttemptContext) => {
      signals.push(context.signal);
      return untilAborted(context);
    };
    const pending = track(fallbackChain([hang, hang, hang], { timeoutMs: 100 }));
    await vi.advanceTimersByTimeAsync(200);
    expect(signals).toHaveLength(3);
    expect(signals.map((signal) => signal.aborted)).toEqual([true, true, false]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(pending.settled).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("recognises a FallbackError made by another copy of the package", () => {
    const foreign = new Error("from another copy");
    Object.defineProperty(foreign, Symbol.for("mcp-prod.error.FallbackError"), { value: true });
    expect(FallbackError.isInstance(foreign)).toBe(true);
    expect(FallbackError.isInstance(new Error("plain"))).toBe(false);
    expect(FallbackTimeoutError.isInstance(foreign)).toBe(false);
  });

  it("rejects an empty or invalid list with a TypeError naming it", async () => {
    await expect(fallbackChain([])).rejects.toThrow(
      new TypeError("Expected `attempts` to be a non-empty array of functions, got an array"),
    );
    await expect(fallbackChain([() => 1, 2 as never])).rejects.toThrow(
      new TypeError("Expected `attempts[1]` to be a function, got 2"),
    );
  });
});
