import {
  abortReason,
  assertKnownKeys,
  assertNonNegativeInteger,
  assertOptions,
  assertPositiveInteger,
  assertPositiveNumber,
  assertString,
  type BulkheadEvents,
  EventSource,
  noop,
  withDeadline,
} from "@mcp-prod/internal";
import { BulkheadError, BulkheadQueueTimeoutError, BulkheadRejectedError } from "./errors.ts";
import { BULKHEAD_FOREIGN_KEYS, BULKHEAD_KEYS, type BulkheadOptions } from "./options.ts";
import { forgetBulkhead } from "./registry.ts";

/** A bulkhead's state, for metrics, health checks and tests. */
export type BulkheadStats = {
  /** Calls running now. */
  readonly active: number;
  /** Calls waiting for a slot now. */
  readonly queued: number;
  /** Calls refused because every slot and queue place was taken, since creation. */
  readonly rejected: number;
  /** Queued calls that gave up after `queueTimeoutMs`, since creation. */
  readonly timedOut: number;
  /** The `limit` it was created with. */
  readonly limit: number;
  /** The `queue` it was created with. */
  readonly queue: number;
};

export type { BulkheadEvents };

/** What `fn` is given: the caller's `signal` (one that never aborts when none was given). */
export type BulkheadContext = { readonly signal: AbortSignal };

/** Options of one {@link Bulkhead.execute} call. */
export type ExecuteOptions = {
  /**
   * Cancels the call: a queued call leaves the queue at once and rejects with
   * the signal's reason; a running one gets it as `signal`.
   * @default undefined
   */
  readonly signal?: AbortSignal | undefined;
};

/** A slot given to a queued call: its run, in an object so that it is not awaited as the grant. */
type Slot = { readonly run: Promise<unknown> };

type Waiter = {
  readonly fn: (context: BulkheadContext) => unknown;
  readonly signal: AbortSignal | undefined;
  grant: (slot: Slot) => void;
  refuse: (error: unknown) => void;
  previous: Waiter | undefined;
  next: Waiter | undefined;
};

const NEVER_ABORTED: BulkheadContext = { signal: new AbortController().signal };

const runOf = (slot: Slot): Promise<unknown> => slot.run;

/**
 * A concurrency limit with a bounded queue (the bulkhead of resilience4j,
 * Polly and cockatiel). Create one with {@link createBulkhead}.
 */
export class Bulkhead extends EventSource<BulkheadEvents> {
  /** The bulkhead's `name`. */
  readonly name: string;
  readonly #limit: number;
  readonly #queueLimit: number;
  readonly #queueTimeoutMs: number | undefined;
  #active = 0;
  #queued = 0;
  #rejected = 0;
  #timedOut = 0;
  #closed = false;
  #head: Waiter | undefined;
  #tail: Waiter | undefined;
  // One pair of settle callbacks per bulkhead, not two closures per call.
  readonly #fulfilled = (value: unknown): unknown => {
    this.#release();
    return value;
  };
  readonly #failed = (error: unknown): never => {
    this.#release();
    throw error;
  };

  /** @internal use {@link createBulkhead}. */
  constructor(options: BulkheadOptions) {
    super();
    assertOptions(options);
    assertKnownKeys(options, BULKHEAD_KEYS, "createBulkhead()", BULKHEAD_FOREIGN_KEYS);
    const { name = "bulkhead", limit, queue = 0, queueTimeoutMs } = options;
    assertString(name, "name");
    assertPositiveInteger(limit, "limit");
    assertNonNegativeInteger(queue, "queue");
    assertPositiveNumber(queueTimeoutMs, "queueTimeoutMs", true);
    this.name = name;
    this.#limit = limit;
    this.#queueLimit = queue;
    this.#queueTimeoutMs = queueTimeoutMs;
  }

  /**
   * Runs `fn` when a slot is free: at once, after waiting in the queue, or
   * not at all. Rejects with {@link BulkheadRejectedError} (`EBULKHEADFULL`)
   * at once when every slot and queue place is taken, with
   * {@link BulkheadQueueTimeoutError} after `queueTimeoutMs` in the queue, and
   * with the signal's reason as soon as it aborts while queued. A call that
   * left the queue takes no slot.
   */
  execute<T>(
    fn: (context: BulkheadContext) => T | PromiseLike<T>,
    options?: ExecuteOptions,
  ): Promise<Awaited<T>> {
    const signal = options?.signal;
    if (this.#closed)
      return Promise.reject(
        new BulkheadError("EBULKHEADCLOSED", this.name, `Bulkhead "${this.name}" is closed`),
      );
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#active < this.#limit) return this.#run(fn, signal) as Promise<Awaited<T>>;
    if (this.#queued < this.#queueLimit) return this.#enqueue(fn, signal) as Promise<Awaited<T>>;
    this.#rejected += 1;
    if (this.hasListeners("reject"))
      this.emit("reject", { name: this.name, active: this.#active, queued: this.#queued });
    return Promise.reject(new BulkheadRejectedError(this.name, this.stats()));
  }

  stats(): BulkheadStats {
    return {
      active: this.#active,
      queued: this.#queued,
      rejected: this.#rejected,
      timedOut: this.#timedOut,
      limit: this.#limit,
      queue: this.#queueLimit,
    };
  }

  /**
   * Refuses new calls and rejects every queued one (`EBULKHEADCLOSED`),
   * clearing their timers and listeners; running calls finish.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    forgetBulkhead(this.name, this);
    for (let waiter = this.#head; waiter !== undefined; waiter = waiter.next) {
      this.#unlink(waiter);
      waiter.refuse(
        new BulkheadError("EBULKHEADCLOSED", this.name, `Bulkhead "${this.name}" is closed`),
      );
    }
    this.removeAllListeners();
  }

  #run(
    fn: (context: BulkheadContext) => unknown,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    this.#active += 1;
    let result: unknown;
    try {
      result = fn(signal === undefined ? NEVER_ABORTED : { signal });
    } catch (error) {
      this.#release();
      return Promise.reject(error);
    }
    if (typeof (result as PromiseLike<unknown> | null)?.then !== "function") {
      this.#release();
      return Promise.resolve(result);
    }
    return Promise.resolve(result).then(this.#fulfilled, this.#failed);
  }

  #enqueue(
    fn: (context: BulkheadContext) => unknown,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const waiter: Waiter = {
      fn,
      signal,
      grant: noop,
      refuse: noop,
      previous: this.#tail,
      next: undefined,
    };
    const granted = new Promise<Slot>((grant, refuse) => {
      waiter.grant = grant;
      waiter.refuse = refuse;
    });
    if (this.#tail === undefined) this.#head = waiter;
    else this.#tail.next = waiter;
    this.#tail = waiter;
    this.#queued += 1;
    const queueTimeoutMs = this.#queueTimeoutMs ?? 0;
    // The wait for a slot ends at queueTimeoutMs or when the caller's signal aborts.
    return withDeadline(granted, queueTimeoutMs, {
      signal,
      unref: false,
      onTimeout: () => new BulkheadQueueTimeoutError(this.name, queueTimeoutMs),
      onGiveUp: (reason) => this.#leave(waiter, reason),
    }).then(runOf);
  }

  /** Takes `waiter` out of the queue. */
  #unlink(waiter: Waiter): void {
    if (waiter.previous === undefined) this.#head = waiter.next;
    else waiter.previous.next = waiter.next;
    if (waiter.next === undefined) this.#tail = waiter.previous;
    else waiter.next.previous = waiter.previous;
    this.#queued -= 1;
  }

  /** A queued call stopped waiting (its queueTimeoutMs passed, or its caller left) without a slot. */
  #leave(waiter: Waiter, reason: unknown): void {
    this.#unlink(waiter);
    if (!BulkheadQueueTimeoutError.isInstance(reason)) return;
    this.#timedOut += 1;
    if (this.hasListeners("queueTimeout"))
      this.emit("queueTimeout", {
        name: this.name,
        queueTimeoutMs: reason.queueTimeoutMs,
        active: this.#active,
        queued: this.#queued,
      });
  }

  #release(): void {
    this.#active -= 1;
    const waiter = this.#head;
    if (waiter === undefined) return;
    this.#unlink(waiter);
    waiter.grant({ run: this.#run(waiter.fn, waiter.signal) });
  }
}

/**
 * Creates a bulkhead: at most `limit` calls run at once, up to `queue` more
 * wait for a slot (each at most `queueTimeoutMs`), and the rest are refused
 * at once, so one slow upstream cannot take every socket, connection or
 * worker of the server.
 *
 * @example
 * ```ts
 * import { createBulkhead } from "@mcp-prod/bulkhead";
 *
 * const reports = createBulkhead({ name: "reports", limit: 4, queue: 20, queueTimeoutMs: 2000 });
 * const pdf = await reports.execute(({ signal }) => renderPdf(id, signal), { signal });
 * ```
 */
export function createBulkhead(options: BulkheadOptions): Bulkhead {
  return new Bulkhead(options);
}
