import { deferred } from "@mcp-prod/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  BulkheadError,
  BulkheadQueueTimeoutError,
  BulkheadRejectedError,
  createBulkhead,
} from "./index.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("createBulkhead", () => {
  it("runs up to limit calls at once, queues the next and refuses the rest at once", async () => {
    const bulkhead = createBulkhead({ name: "reports", limit: 2, queue: 1 });
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const calls = gates.map((item, index) =>
      bulkhead.execute(async () => {
        started.push(index);
        await item.promise;
        return index;
      }),
    );
    expect(started).toEqual([0, 1]);
    expect(bulkhead.stats()).toMatchObject({ active: 2, queued: 1, rejected: 0 });

    const refused = await bulkhead.execute(async () => "never").catch((error: unknown) => error);
    expect(BulkheadRejectedError.isInstance(refused)).toBe(true);
    expect(refused).toMatchObject({
      name: "BulkheadRejectedError",
      code: "EBULKHEADFULL",
      bulkhead: "reports",
      transient: true,
      stats: { active: 2, queued: 1, rejected: 1, timedOut: 0, limit: 2, queue: 1 },
    });

    gates[0]?.resolve();
    await expect(calls[0]).resolves.toBe(0);
    expect(started).toEqual([0, 1, 2]);
    expect(bulkhead.stats()).toMatchObject({ active: 2, queued: 0 });
    gates[1]?.resolve();
    gates[2]?.resolve();
    await expect(Promise.all(calls)).resolves.toEqual([0, 1, 2]);
    expect(bulkhead.stats()).toMatchObject({ active: 0, queued: 0, rejected: 1 });
  });

  it("frees the slot when fn throws, synchronously or not", async () => {
    const bulkhead = createBulkhead({ limit: 1 });
    await expect(
      bulkhead.execute(() => {
        throw new Error("sync");
      }),
    ).rejects.toThrow("sync");
    await expect(bulkhead.execute(async () => Promise.reject(new Error("async")))).rejects.toThrow(
      "async",
    );
    await expect(bulkhead.execute(() => "plain value")).resolves.toBe("plain value");
    expect(bulkhead.stats().active).toBe(0);
  });

  it("takes a queued call whose signal aborts out of the queue at once, freeing nothing it did not take", async () => {
    const bulkhead = createBulkhead({ limit: 1, queue: 1 });
    const running = deferred();
    const first = bulkhead.execute(() => running.promise);
    const controller = new AbortController();
    const queuedFn = vi.fn(async () => "ran");
    const queued = bulkhead.execute(queuedFn, { signal: controller.signal });
    expect(bulkhead.stats()).toMatchObject({ active: 1, queued: 1 });

    const reason = new Error("client cancelled");
    controller.abort(reason);
    await expect(queued).rejects.toBe(reason);
    expect(bulkhead.stats()).toMatchObject({ active: 1, queued: 0, rejected: 0, timedOut: 0 });

    // The slot is still held by the first call: a later call waits rather than runs.
    const later = vi.fn(async () => "later");
    const laterCall = bulkhead.execute(later);
    expect(later).not.toHaveBeenCalled();
    expect(bulkhead.stats()).toMatchObject({ active: 1, queued: 1 });

    running.resolve();
    await first;
    await expect(laterCall).resolves.toBe("later");
    expect(queuedFn).not.toHaveBeenCalled();
    expect(bulkhead.stats()).toMatchObject({ active: 0, queued: 0 });
  });

  it("times a queued call out after queueTimeoutMs, freeing nothing it did not take", async () => {
    vi.useFakeTimers();
    const bulkhead = createBulkhead({ name: "pdf", limit: 1, queue: 2, queueTimeoutMs: 500 });
    const timeouts: unknown[] = [];
    bulkhead.on("queueTimeout", (event) => timeouts.push(event));
    const running = deferred();
    const first = bulkhead.execute(() => running.promise);
    const queuedFn = vi.fn(async () => "ran");
    const queued = bulkhead.execute(queuedFn).catch((error: unknown) => error);

    await vi.advanceTimersByTimeAsync(499);
    expect(bulkhead.stats()).toMatchObject({ active: 1, queued: 1, timedOut: 0 });
    await vi.advanceTimersByTimeAsync(1);
    const error = await queued;
    expect(BulkheadQueueTimeoutError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "EBULKHEADTIMEOUT", queueTimeoutMs: 500, bulkhead: "pdf" });
    expect(bulkhead.stats()).toMatchObject({ active: 1, queued: 0, timedOut: 1 });
    expect(timeouts).toEqual([{ name: "pdf", queueTimeoutMs: 500, active: 1, queued: 0 }]);

    const later = vi.fn(async () => "later");
    const laterCall = bulkhead.execute(later);
    expect(later).not.toHaveBeenCalled();
    running.resolve();
    await first;
    await expect(laterCall).resolves.toBe("later");
    expect(queuedFn).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
    expect(bulkhead.stats()).toMatchObject({ active: 0, queued: 0 });
  });

  it("clears a queued call's timer and listener when it gets a slot", async () => {
    vi.useFakeTimers();
    const bulkhead = createBulkhead({ limit: 1, queue: 1, queueTimeoutMs: 1000 });
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, "addEventListener");
    const remove = vi.spyOn(controller.signal, "removeEventListener");
    const running = deferred();
    const first = bulkhead.execute(() => running.promise);
    const second = bulkhead.execute(({ signal }) => signal, { signal: controller.signal });
    expect(vi.getTimerCount()).toBe(1);
    running.resolve();
    await first;
    await expect(second).resolves.toBe(controller.signal);
    expect(vi.getTimerCount()).toBe(0);
    expect(add).toHaveBeenCalledTimes(1);
    expect(remove).toHaveBeenCalledTimes(1);
  });

  it("emits reject with the state at the refusal", async () => {
    const bulkhead = createBulkhead({ name: "one", limit: 1 });
    const events: unknown[] = [];
    bulkhead.on("reject", (event) => events.push(event));
    const running = deferred();
    const first = bulkhead.execute(() => running.promise);
    await bulkhead.execute(() => 1).catch(() => undefined);
    expect(events).toEqual([{ name: "one", active: 1, queued: 0 }]);
    running.resolve();
    await first;
  });

  it("rejects an already aborted call without running it", async () => {
    const bulkhead = createBulkhead({ limit: 1 });
    const fn = vi.fn();
    await expect(
      bulkhead.execute(fn, { signal: AbortSignal.abort(new Error("gone")) }),
    ).rejects.toThrow("gone");
    expect(fn).not.toHaveBeenCalled();
    expect(bulkhead.stats().active).toBe(0);
  });

  it("close() rejects queued calls, refuses new ones and lets running ones finish", async () => {
    vi.useFakeTimers();
    const bulkhead = createBulkhead({ limit: 1, queue: 2, queueTimeoutMs: 10_000 });
    const running = deferred();
    const first = bulkhead.execute(async () => {
      await running.promise;
      return "finished";
    });
    const queued = [bulkhead.execute(() => 1), bulkhead.execute(() => 2)].map((call) =>
      call.catch((error: unknown) => error),
    );
    bulkhead.close();
    for (const error of await Promise.all(queued)) {
      expect(BulkheadError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: "EBULKHEADCLOSED", transient: false });
    }
    expect(vi.getTimerCount()).toBe(0);
    await expect(bulkhead.execute(() => 3)).rejects.toMatchObject({ code: "EBULKHEADCLOSED" });
    running.resolve();
    await expect(first).resolves.toBe("finished");
    expect(bulkhead.stats()).toMatchObject({ active: 0, queued: 0 });
  });

  it.each([
    [{}, "Expected `limit` to be a positive integer, got undefined"],
    [{ limit: 0 }, "Expected `limit` to be a positive integer, got 0"],
    [{ limit: 1, queue: -1 }, "Expected `queue` to be a non-negative integer, got -1"],
    [
      { limit: 1, queueTimeoutMs: 0 },
      "Expected `queueTimeoutMs` to be a positive finite number, got 0",
    ],
    [{ limit: 1, limt: 2 }, "Unknown option `limt` in createBulkhead(); did you mean `limit`?"],
    [
      { maxConcurrentCalls: 2 },
      "Unknown option `maxConcurrentCalls` in createBulkhead(): use `limit`",
    ],
    [
      { limit: 1, maxWaitDuration: 5 },
      "Unknown option `maxWaitDuration` in createBulkhead(): use `queueTimeoutMs` (milliseconds)",
    ],
    [
      { limit: 1, maxQueueSize: 5 },
      "Unknown option `maxQueueSize` in createBulkhead(): use `queue`",
    ],
  ])("refuses %o", (options, message) => {
    expect(() => createBulkhead(options as never)).toThrow(new TypeError(message));
  });
});
