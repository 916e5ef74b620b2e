import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LazySignal, withDeadline, withLazyDeadline } from "./index.ts";

class TimeoutError extends Error {}

const onTimeout = () => new TimeoutError("timed out");

function listenerCount(signal: AbortSignal): () => number {
  let count = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    count++;
    add(...args);
  }) as typeof add;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    count--;
    remove(...args);
  }) as typeof remove;
  return () => count;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("withDeadline", () => {
  it("resolves with the work's value and clears its timer and listener", async () => {
    const controller = new AbortController();
    const listeners = listenerCount(controller.signal);
    await expect(
      withDeadline(Promise.resolve(7), 100, { signal: controller.signal, onTimeout }),
    ).resolves.toBe(7);
    expect(vi.getTimerCount()).toBe(0);
    expect(listeners()).toBe(0);
  });

  it("rejects with the work's error and clears its timer and listener", async () => {
    const controller = new AbortController();
    const listeners = listenerCount(controller.signal);
    const failure = new Error("boom");
    await expect(
      withDeadline(Promise.reject(failure), 100, { signal: controller.signal, onTimeout }),
    ).rejects.toBe(failure);
    expect(vi.getTimerCount()).toBe(0);
    expect(listeners()).toBe(0);
  });

  it("rejects with onTimeout()'s error once the timeout passes, aborting the work's signal", async () => {
    const controller = new AbortController();
    const listeners = listenerCount(controller.signal);
    let workSignal: AbortSignal | undefined;
    const onGiveUp = vi.fn();
    const pending = withDeadline(
      (signal) => {
        workSignal = signal;
        return new Promise<never>(() => {});
      },
      100,
      { signal: controller.signal, onTimeout, onGiveUp },
    );
    vi.advanceTimersByTime(100);
    const error = await pending.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(workSignal?.reason).toBe(error);
    expect(onGiveUp).toHaveBeenCalledWith(error);
    expect(listeners()).toBe(0);
  });

  it("rejects with the signal's reason when it aborts, clearing the timer", async () => {
    const controller = new AbortController();
    const listeners = listenerCount(controller.signal);
    let failLate: (error: Error) => void = () => {};
    const late = new Promise<number>((_, reject) => {
      failLate = reject;
    });
    const pending = withDeadline(late, 100, { signal: controller.signal, onTimeout });
    const reason = new Error("client went away");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
    expect(listeners()).toBe(0);
    // A late failure of the abandoned work is not an unhandled rejection.
    failLate(new Error("late"));
  });

  it("rejects at once with the reason of a signal already aborted, without calling the work", async () => {
    const reason = new Error("already");
    const work = vi.fn(() => 1);
    await expect(
      withDeadline(work, 100, { signal: AbortSignal.abort(reason), onTimeout }),
    ).rejects.toBe(reason);
    expect(work).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects with what the work function throws synchronously", async () => {
    const failure = new Error("sync");
    await expect(
      withDeadline(
        () => {
          throw failure;
        },
        100,
        { onTimeout },
      ),
    ).rejects.toBe(failure);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("sets no timer for a timeout of 0 and returns the promise itself without a signal", () => {
    const promise = Promise.resolve(1);
    expect(withDeadline(promise, 0, { onTimeout })).toBe(promise);
    void withDeadline(new Promise(() => {}), 0, {
      signal: new AbortController().signal,
      onTimeout,
    });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("unrefs its timer", () => {
    vi.useRealTimers();
    const spy = vi.spyOn(globalThis, "setTimeout");
    let answer: (value: number) => void = () => {};
    void withDeadline(
      new Promise<number>((resolve) => {
        answer = resolve;
      }),
      60_000,
      { onTimeout },
    );
    const timer = spy.mock.results[0]?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    answer(1);
    spy.mockRestore();
  });
});

describe("withLazyDeadline", () => {
  it("links the caller's signal only once the work reads its own", async () => {
    const controller = new AbortController();
    const listeners = listenerCount(controller.signal);
    let own: LazySignal | undefined;
    const pending = withLazyDeadline(
      (signal) => {
        own = signal;
        return new Promise<string>(() => {});
      },
      1000,
      { signal: controller.signal, onTimeout },
    );
    expect(listeners()).toBe(0);
    expect(own?.isRead).toBe(false);
    const read = own?.signal as AbortSignal;
    expect(listeners()).toBe(1);
    controller.abort(new Error("caller left"));
    await expect(pending).rejects.toThrow("caller left");
    expect(read.aborted).toBe(true);
    expect(read.reason).toEqual(new Error("caller left"));
    expect(listeners()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("settles with the work when the caller aborts before the signal was read", async () => {
    const controller = new AbortController();
    let finish: (value: string) => void = () => {};
    const pending = withLazyDeadline(
      () =>
        new Promise<string>((resolve) => {
          finish = resolve;
        }),
      1000,
      { signal: controller.signal, onTimeout },
    );
    controller.abort(new Error("caller left"));
    finish("done");
    await expect(pending).resolves.toBe("done");
  });

  it("aborts the work's signal at the deadline, even when it is first read afterwards", async () => {
    let own: LazySignal | undefined;
    const pending = withLazyDeadline(
      (signal) => {
        own = signal;
        return new Promise<string>(() => {});
      },
      50,
      { onTimeout },
    );
    const rejected = expect(pending).rejects.toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(50);
    await rejected;
    expect(own?.isRead).toBe(false);
    expect(own?.signal.aborted).toBe(true);
    expect(own?.signal.reason).toBeInstanceOf(TimeoutError);
  });

  it("keeps the process alive with `unref: false`, and not by default", async () => {
    vi.useRealTimers();
    const timers = () =>
      (process as unknown as { getActiveResourcesInfo(): string[] })
        .getActiveResourcesInfo()
        .filter((name) => name === "Timeout").length;
    const before = timers();
    const kept = withLazyDeadline(() => new Promise<never>(() => {}), 20, {
      onTimeout,
      unref: false,
    });
    expect(timers()).toBe(before + 1);
    const unrefd = withLazyDeadline(() => new Promise<never>(() => {}), 20, { onTimeout });
    expect(timers()).toBe(before + 1);
    await expect(kept).rejects.toBeInstanceOf(TimeoutError);
    await expect(unrefd).rejects.toBeInstanceOf(TimeoutError);
  });
});

describe("LazySignal", () => {
  it("makes its controller on first read only, and remembers an earlier abort", () => {
    const reads: string[] = [];
    const own = new LazySignal(() => reads.push("read"));
    own.abort("first");
    own.abort("second");
    expect(own.isRead).toBe(false);
    expect(own.aborted).toBe(true);
    expect(() => own.throwIfAborted()).toThrow("first");
    const signal = own.signal;
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe("first");
    expect(own.signal).toBe(signal);
    expect(reads).toEqual(["read"]);
  });

  it("aborts a signal already read", () => {
    const own = new LazySignal();
    const signal = own.signal;
    expect(signal.aborted).toBe(false);
    expect(() => own.throwIfAborted()).not.toThrow();
    own.abort(new Error("stop"));
    expect(signal.aborted).toBe(true);
  });
});

describe("withDeadline's soft timeout", () => {
  it("resolves with the soft value at the deadline and leaves the work running, its signal not aborted", async () => {
    let workSignal: AbortSignal | undefined;
    let finish: (value: string) => void = () => {};
    const onGiveUp = vi.fn();
    const pending = withDeadline(
      (signal) => {
        workSignal = signal;
        return new Promise<string>((resolve) => {
          finish = resolve;
        });
      },
      100,
      { softTimeout: () => ({ value: "stale" }), onTimeout, onGiveUp },
    );
    await vi.advanceTimersByTimeAsync(100);
    await expect(pending).resolves.toBe("stale");
    expect(workSignal?.aborted).toBe(false);
    expect(onGiveUp).not.toHaveBeenCalled();
    finish("fresh");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("is hard when the soft answer is undefined", async () => {
    const pending = withDeadline(new Promise<string>(() => {}), 100, {
      softTimeout: () => undefined,
      onTimeout,
    });
    const outcome = expect(pending).rejects.toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(100);
    await outcome;
  });

  it("rejects with a TimeoutError DOMException when no onTimeout is given", async () => {
    const pending = withDeadline(new Promise<string>(() => {}), 50);
    const outcome = expect(pending).rejects.toMatchObject({ name: "TimeoutError" });
    await vi.advanceTimersByTimeAsync(50);
    await outcome;
  });
});

describe("withDeadline's progress reset", () => {
  it("gives the work its timeout again at each progress, until it finishes", async () => {
    let progress: () => void = () => {};
    let finish: (value: number) => void = () => {};
    const pending = withDeadline(
      (_signal, onProgress) => {
        progress = onProgress;
        return new Promise<number>((resolve) => {
          finish = resolve;
        });
      },
      100,
      { onTimeout },
    );
    for (let step = 0; step < 5; step++) {
      await vi.advanceTimersByTimeAsync(90);
      progress();
    }
    finish(42);
    await expect(pending).resolves.toBe(42);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("times out when the work stops making progress", async () => {
    let progress: () => void = () => {};
    const pending = withDeadline(
      (_signal, onProgress) => {
        progress = onProgress;
        return new Promise<number>(() => {});
      },
      100,
      { onTimeout },
    );
    const outcome = expect(pending).rejects.toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(90);
    progress();
    await vi.advanceTimersByTimeAsync(99);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await outcome;
  });

  it("never lets progress carry the wait past maxTotalMs", async () => {
    let progress: () => void = () => {};
    let timedOutAt = -1;
    const pending = withDeadline(
      (_signal, onProgress) => {
        progress = onProgress;
        return new Promise<number>(() => {});
      },
      100,
      {
        maxTotalMs: 250,
        onTimeout: () => {
          timedOutAt = Date.now();
          return new TimeoutError("total");
        },
      },
    );
    const outcome = expect(pending).rejects.toBeInstanceOf(TimeoutError);
    const startedAt = Date.now();
    for (let step = 0; step < 4; step++) {
      await vi.advanceTimersByTimeAsync(80);
      progress();
    }
    await outcome;
    expect(timedOutAt - startedAt).toBe(250);
  });
});
