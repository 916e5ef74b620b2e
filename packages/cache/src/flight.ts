import { abortReason, LazySignal, onAbort, throwIfAborted, withDeadline } from "@mcp-prod/internal";
import { CacheSerializationError, CacheTimeoutError } from "./errors.ts";
import type { StoredEntry } from "./memory-tier.ts";
import type { Settings } from "./options.ts";
import type { CacheFactory, CacheResult } from "./types.ts";

/**
 * One in-process computation of a key that concurrent callers share. Its
 * signal is made only when needed (a factory runs, a lock is awaited or a
 * caller leaves): the L2-hit path never pays for one.
 */
export class Flight extends LazySignal {
  promise: Promise<CacheResult<unknown>> = NOT_STARTED;
  waiters = 0;
  /** Callers have their answer (value, stale value or error): leaving no longer aborts anything. */
  answered = false;

  constructor(readonly storageKey: string) {
    super();
  }
}

// A placeholder shared by every flight until its load gives it its promise.
const NOT_STARTED = Promise.resolve() as Promise<never>;

export type StaleCandidate = { readonly entry: StoredEntry; readonly tier: "l1" | "l2" };

/**
 * The flights in progress, one per key: concurrent callers of a key share one
 * factory call, each may leave early, and the factory runs under a timeout.
 */
export class Flights {
  readonly #byKey = new Map<string, Flight>();
  #factoryCalls = 0;

  /** How many times a factory has been called. */
  get factoryCalls(): number {
    return this.#factoryCalls;
  }

  /** The flight of `storageKey` in progress, if any. */
  get(storageKey: string): Flight | undefined {
    return this.#byKey.get(storageKey);
  }

  /** Registers a new flight for `storageKey`; the caller then gives it its promise. */
  start(storageKey: string): Flight {
    const flight = new Flight(storageKey);
    this.#byKey.set(storageKey, flight);
    return flight;
  }

  /** Aborts every flight (the cache is closing). */
  abortAll(reason: unknown): void {
    for (const flight of this.#byKey.values()) flight.abort(reason);
    this.#byKey.clear();
  }

  /** Waits for `flight` on behalf of one caller, who may leave early through its signal. */
  join(flight: Flight, signal: AbortSignal | undefined): Promise<CacheResult<unknown>> {
    flight.waiters++;
    if (signal === undefined) return flight.promise;
    return new Promise((resolve, reject) => {
      const remove = onAbort(signal, () => {
        flight.waiters--;
        // The last caller gone: nobody wants the value, so stop computing it.
        if (flight.waiters === 0 && !flight.answered) {
          flight.abort(abortReason(signal));
          this.end(flight);
        }
        reject(abortReason(signal));
      });
      flight.promise.then(
        (result) => {
          remove();
          resolve(result);
        },
        (error: unknown) => {
          remove();
          reject(error);
        },
      );
    });
  }

  /**
   * Runs `factory` for the flight under the call's timeout: on timeout or
   * failure the stale value answers if there is one. `store` writes the
   * value; `unlock` releases the cross-process lock once it is written.
   */
  runFactory(
    flight: Flight,
    key: string,
    factory: CacheFactory<unknown>,
    settings: Settings,
    stale: StaleCandidate | undefined,
    store: (value: unknown) => Promise<void>,
    unlock: (() => Promise<void>) | undefined,
  ): Promise<CacheResult<unknown>> {
    const signal = flight.signal;
    const staleResult = (): CacheResult<unknown> | undefined =>
      stale !== undefined && stale.entry.staleUntil > Date.now()
        ? { value: stale.entry.value, stale: true, source: stale.tier }
        : undefined;

    this.#factoryCalls++;
    const work = (async (): Promise<CacheResult<unknown>> => {
      try {
        throwIfAborted(signal);
        const value = await factory({ signal, key });
        throwIfAborted(signal);
        await store(value);
        return { value, stale: false, source: "origin" };
      } catch (error) {
        const fallback = CacheSerializationError.isInstance(error) ? undefined : staleResult();
        if (fallback !== undefined) return fallback;
        throw error;
      } finally {
        // Released after the value is written, so waiting processes find it.
        if (unlock !== undefined) await unlock();
        this.end(flight);
      }
    })();
    const timeoutMs = settings.timeoutMs ?? 0;
    return withDeadline(work, timeoutMs, {
      // Soft when a stale value can answer: the refresh goes on and stores its value.
      softTimeout: () => {
        const fallback = staleResult();
        if (fallback === undefined) return undefined;
        flight.answered = true;
        return { value: fallback };
      },
      onTimeout: () => new CacheTimeoutError(key, timeoutMs),
      onGiveUp: (reason) => {
        flight.abort(reason);
        this.end(flight);
      },
    });
  }

  /** The flight's callers have (or are being given) their answer; later callers start afresh. */
  end(flight: Flight): void {
    flight.answered = true;
    if (this.#byKey.get(flight.storageKey) === flight) this.#byKey.delete(flight.storageKey);
  }
}
