import { noop, throwIfAborted, withDeadline } from "@mcp-prod/internal";
import type { StoredEntry } from "./memory-tier.ts";
import type { RedisTier } from "./redis-tier.ts";

/** How waiting on the cross-process lock ended. */
export type LockOutcome =
  | { kind: "value"; entry: StoredEntry }
  | { kind: "locked"; token: string }
  | { kind: "unlocked" };

/**
 * The cross-process computation lock (`SET NX PX` in Redis): one process
 * computes a key while the others poll for its value, woken early by the
 * invalidation that announces it.
 */
export class CrossProcessLock {
  readonly #l2: RedisTier;
  readonly #lockWaitMs: number;
  readonly #lockPollMs: number;
  readonly #wakers = new Map<string, Set<() => void>>();

  constructor(l2: RedisTier, lockWaitMs: number, lockPollMs: number) {
    this.#l2 = l2;
    this.#lockWaitMs = lockWaitMs;
    this.#lockPollMs = lockPollMs;
  }

  /**
   * Takes the cross-process lock, or waits (bounded by `lockWaitMs`) for the
   * process that holds it to write the value. Redis failing, or the wait
   * running out, means computing without the lock.
   */
  async acquireOrAwait(storageKey: string, signal: AbortSignal): Promise<LockOutcome> {
    const l2 = this.#l2;
    const deadline = Date.now() + this.#lockWaitMs;
    for (;;) {
      const attempt = await l2.lock(storageKey);
      throwIfAborted(signal);
      if (attempt.state === "acquired") {
        // Another process may have written the value and released the lock between
        // our read and this lock: read again before computing, or it is computed twice.
        const written = await l2.read(storageKey);
        const fresh = written !== undefined && written.freshUntil > Date.now();
        if (fresh || signal.aborted) {
          await l2.unlock(storageKey, attempt.token);
          throwIfAborted(signal);
          return { kind: "value", entry: written as StoredEntry };
        }
        return { kind: "locked", token: attempt.token };
      }
      if (attempt.state === "failed") return { kind: "unlocked" };
      const remaining = deadline - Date.now();
      if (remaining <= 0) return { kind: "unlocked" };
      await this.#sleepUntilWoken(storageKey, Math.min(this.#lockPollMs, remaining), signal);
      const stored = await l2.read(storageKey);
      throwIfAborted(signal);
      if (stored !== undefined && stored.freshUntil > Date.now()) {
        return { kind: "value", entry: stored };
      }
    }
  }

  /** Ends the waits of processes polling for `storageKey`: its value was just written. */
  wake(storageKey: string): void {
    const wakers = this.#wakers.get(storageKey);
    if (wakers !== undefined) for (const wake of [...wakers]) wake();
  }

  /** Ends every wait (the cache is closing). */
  wakeAll(): void {
    for (const wakers of this.#wakers.values()) for (const wake of wakers) wake();
    this.#wakers.clear();
  }

  /** Sleeps `ms`, or less when an invalidation for the key arrives or the signal aborts. */
  #sleepUntilWoken(storageKey: string, ms: number, signal: AbortSignal): Promise<void> {
    let wakers = this.#wakers.get(storageKey);
    if (wakers === undefined) {
      wakers = new Set();
      this.#wakers.set(storageKey, wakers);
    }
    const set = wakers;
    let wake = noop;
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    set.add(wake);
    // A soft deadline: at `ms` the poll goes on; an abort ends the sleep too
    // (the caller checks its signal next).
    return withDeadline(woken, ms, { signal, softTimeout: AWAKE, unref: false })
      .catch(noop)
      .finally(() => {
        set.delete(wake);
        if (set.size === 0 && this.#wakers.get(storageKey) === set) this.#wakers.delete(storageKey);
      });
  }
}

const AWAKE = () => ({ value: undefined });
