import type pg from "pg";
import type { PoolClient } from "pg";
import { LatencyWindow } from "./latency.ts";
import type { PoolEvents, QueryText } from "./types.ts";

const LIFETIME_JITTER = 0.1;

/** What the pool knows of one connection, kept for as long as pg keeps it. */
export type ConnectionMeta = {
  expiresAt: number;
  idleSince: number;
  lease: Lease | undefined;
};

/** One checkout of a connection, from `acquire` (or a statement) to release. */
export type Lease = {
  readonly client: PoolClient;
  readonly meta: ConnectionMeta;
  readonly since: number;
  /** Where it was taken (an Error, whose stack is formatted only when read), or the statement it runs. */
  readonly origin: Error | QueryText | undefined;
  /** Set when the connection can no longer be trusted: it is closed on release. */
  broken: unknown;
  released: boolean;
  leakReported: boolean;
  /** Neighbours in the list of checked-out leases. */
  previous: Lease | undefined;
  next: Lease | undefined;
};

type LeakEvent = Parameters<PoolEvents["leak"]>[0];

/** The `stack` of a `leak` event: where the connection was taken, or the statement holding it. */
function describeOrigin(origin: Error | QueryText | undefined): string {
  if (origin instanceof Error) return origin.stack ?? String(origin);
  if (origin === undefined) return "";
  const text = typeof origin === "string" ? origin : origin.text;
  const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return `Connection held by pool.query(${JSON.stringify(shown)})`;
}

/**
 * A pool's connections and their checkouts: each connection's lifetime and
 * idle time, the leases now out, how long checkouts waited, and leaks.
 */
export class Leases {
  /** How long each checkout waited for its connection. */
  readonly latency = new LatencyWindow();
  readonly #meta = new WeakMap<PoolClient | pg.Client, ConnectionMeta>();
  readonly #lifetimeMs: number;
  readonly #validateAfterMs: number;
  // Checked-out leases as a linked list: a Set's add/delete per checkout
  // measured about 1 µs a query, a third of the overhead over pg.Pool.
  #head: Lease | undefined;
  #count = 0;

  constructor(lifetimeMs: number, validateAfterMs: number) {
    this.#lifetimeMs = lifetimeMs;
    this.#validateAfterMs = validateAfterMs;
  }

  /** How many connections are checked out now. */
  get checkedOut(): number {
    return this.#count;
  }

  /** Starts the lifetime of a connection pg has just opened. */
  track(client: pg.Client): ConnectionMeta {
    const meta = this.#newMeta();
    this.#meta.set(client, meta);
    return meta;
  }

  metaOf(client: PoolClient): ConnectionMeta {
    let meta = this.#meta.get(client);
    if (!meta) {
      meta = this.#newMeta();
      this.#meta.set(client, meta);
    }
    return meta;
  }

  /** The connection has lived past its (jittered) `maxLifetimeSeconds`. */
  isExpired(meta: ConnectionMeta, now: number): boolean {
    return this.#lifetimeMs > 0 && now >= meta.expiresAt;
  }

  /** The connection has been idle long enough to be checked with `SELECT 1` first. */
  needsValidation(meta: ConnectionMeta, now: number): boolean {
    return this.#validateAfterMs > 0 && now - meta.idleSince > this.#validateAfterMs;
  }

  /** A lease on `client`, or undefined when it has expired or must be validated first. */
  checkOut(
    client: PoolClient,
    started: number,
    origin: Error | QueryText | undefined,
  ): Lease | undefined {
    const now = performance.now();
    const meta = this.metaOf(client);
    if (now >= meta.expiresAt) return undefined;
    if (this.needsValidation(meta, now)) return undefined;
    const lease: Lease = {
      client,
      meta,
      since: now,
      origin,
      broken: undefined,
      released: false,
      leakReported: false,
      previous: undefined,
      next: this.#head,
    };
    meta.lease = lease;
    if (this.#head) this.#head.previous = lease;
    this.#head = lease;
    this.#count += 1;
    this.latency.record(now - started);
    return lease;
  }

  /**
   * Gives the connection back to pg, or closes it when `error` is given, the
   * lease is broken, it is inside a transaction or has expired. False when it
   * was already released.
   */
  checkIn(lease: Lease, error?: Error): boolean {
    if (lease.released) return false;
    lease.released = true;
    const { previous, next } = lease;
    if (previous) previous.next = next;
    else this.#head = next;
    if (next) next.previous = previous;
    lease.previous = undefined;
    lease.next = undefined;
    this.#count -= 1;
    const { client, meta } = lease;
    meta.lease = undefined;
    meta.idleSince = performance.now();
    let destroy: unknown = error ?? lease.broken;
    // A connection returned inside a transaction would hand the next caller
    // someone else's half-done work: close it instead.
    if (!destroy && typeof client.getTransactionStatus === "function") {
      const status = client.getTransactionStatus();
      if (status === "T" || status === "E") destroy = true;
    }
    if (!destroy && this.#lifetimeMs > 0 && meta.idleSince >= meta.expiresAt) destroy = true;
    client.release(destroy ? (destroy instanceof Error ? destroy : true) : undefined);
    return true;
  }

  /** A snapshot, so that releasing while walking it is safe. */
  snapshot(): Lease[] {
    const leases: Lease[] = [];
    for (let lease = this.#head; lease; lease = lease.next) leases.push(lease);
    return leases;
  }

  /**
   * Reports, once each, the leases out for `leakMs` or longer, looking every
   * `leakMs / 2` (10 ms to 1 s); the timer returned is `unref()`'d.
   */
  watchLeaks(leakMs: number, report: (event: LeakEvent) => void): NodeJS.Timeout {
    const timer = setInterval(
      () => this.#reportLeaks(leakMs, report),
      Math.max(10, Math.min(leakMs / 2, 1000)),
    );
    timer.unref();
    return timer;
  }

  #reportLeaks(leakMs: number, report: (event: LeakEvent) => void): void {
    const now = performance.now();
    for (const lease of this.snapshot()) {
      const checkedOutMs = now - lease.since;
      if (lease.leakReported || checkedOutMs < leakMs) continue;
      lease.leakReported = true;
      const stack = describeOrigin(lease.origin);
      report({ checkedOutMs, stack });
    }
  }

  #newMeta(): ConnectionMeta {
    const now = performance.now();
    return {
      expiresAt:
        this.#lifetimeMs > 0
          ? now + this.#lifetimeMs * (1 - Math.random() * LIFETIME_JITTER)
          : Number.POSITIVE_INFINITY,
      idleSince: now,
      lease: undefined,
    };
  }
}
