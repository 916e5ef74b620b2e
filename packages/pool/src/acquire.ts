import {
  abortReason,
  delay,
  errorCode,
  noop,
  onAbort,
  throwIfAborted,
  withDeadline,
} from "@mcp-prod/internal";
import type pg from "pg";
import type { PoolClient } from "pg";
import { connectRetryDelay } from "./backoff.ts";
import { connectionLost, type PoolError, PoolTimeoutError, QueryTimeoutError } from "./errors.ts";
import type { Lease, Leases } from "./leases.ts";
import { isConnectionError } from "./transient.ts";
import type { QueryText } from "./types.ts";

/** What checking out needs of its pool. */
export type AcquireHost = {
  readonly pg: pg.Pool;
  readonly leases: Leases;
  /** A caller got a connection after `waitMs`: the pool's `acquire` event. */
  acquired(waitMs: number): void;
  readonly connectTimeoutMs: number;
  /** `leakDetectionMs`: above 0, `acquire()` records where each checkout was taken. */
  readonly leakMs: number;
  isClosed(): boolean;
  closedError(): PoolError;
  timeoutError(cause: unknown): PoolTimeoutError;
  /** Counts a connection-level failure (and starts a refill). */
  recordError(error: unknown): void;
  /** Gives a connection back (a caller that stopped waiting got it anyway). */
  release(lease: Lease): void;
  /** A checkout settled: `close()` may be waiting for the last one. */
  checkDrained(): void;
};

type FirstTry = { error: unknown } | { client: PoolClient };

/**
 * Waits for a connection: pg's queue, connect retries with backoff within
 * `connectionTimeoutMillis` (then {@link PoolTimeoutError}), expired
 * connections recycled, long-idle ones validated, and a signal to leave early.
 */
export class Acquirer {
  readonly #host: AcquireHost;
  #pending = 0;

  constructor(host: AcquireHost) {
    this.#host = host;
  }

  /** How many checkouts are waiting for a connection. */
  get pending(): number {
    return this.#pending;
  }

  /** A connection held across the caller's own code (`acquire()`, `transaction()`). */
  acquire(signal: AbortSignal | undefined): Promise<Lease> {
    // Such a connection can leak, so its checkout records where it was taken:
    // new Error() captures the caller's frames now, and V8 formats them only if
    // `.stack` is read.
    const origin = this.#host.leakMs > 0 ? new Error("Connection checked out here") : undefined;
    return new Promise((resolve, reject) => {
      this.acquireThen(signal, origin, (error, lease) => (lease ? resolve(lease) : reject(error)));
    });
  }

  /**
   * Checks a connection out and calls back exactly once. The common case (an
   * idle or new connection that needs no check) stays in pg's callbacks;
   * anything else (a failed connect to retry, an expired or long-idle
   * connection, a signal that aborts) goes through the general path.
   */
  acquireThen(
    signal: AbortSignal | undefined,
    origin: Error | QueryText | undefined,
    callback: (error: unknown, lease?: Lease) => void,
  ): void {
    if (this.#host.isClosed()) {
      callback(this.#host.closedError());
      return;
    }
    if (signal?.aborted) {
      callback(abortReason(signal));
      return;
    }
    const started = performance.now();
    this.#pending += 1;
    let settled = false;
    let removeAbort = noop;
    const finish = (error: unknown, lease?: Lease) => {
      if (settled) {
        // The caller stopped waiting (aborted): give the connection straight back.
        if (lease) this.#host.release(lease);
        return;
      }
      settled = true;
      removeAbort();
      this.#pending -= 1;
      callback(error, lease);
      this.#host.checkDrained();
    };
    if (signal) removeAbort = onAbort(signal, () => finish(abortReason(signal)));
    const slowly = (first: FirstTry) => {
      this.#acquireSlowly(first, signal, started, origin).then(
        (lease) => finish(undefined, lease),
        (error: unknown) => finish(error),
      );
    };
    this.#host.pg.connect((error, client) => {
      if (error || !client) {
        slowly({ error });
        return;
      }
      if (settled) {
        client.release();
        return;
      }
      const lease = this.#checkOut(client, started, origin);
      if (lease) finish(undefined, lease);
      else slowly({ client });
    });
  }

  /** The general path of checking out: connect retries, expiry, validation. */
  async #acquireSlowly(
    first: FirstTry,
    signal: AbortSignal | undefined,
    started: number,
    origin: Error | QueryText | undefined,
  ): Promise<Lease> {
    let next: FirstTry | undefined = first;
    for (;;) {
      const client =
        next && "client" in next ? next.client : await this.#connectAgain(next, signal, started);
      next = undefined;
      const now = performance.now();
      const meta = this.#host.leases.metaOf(client);
      if (this.#host.leases.isExpired(meta, now)) {
        client.release(true);
        continue;
      }
      if (this.#host.leases.needsValidation(meta, now)) {
        try {
          await withDeadline(
            client.query("SELECT 1"),
            Math.max(1, this.#host.connectTimeoutMs - (now - started)),
            { signal, onTimeout: () => new QueryTimeoutError(this.#host.connectTimeoutMs) },
          );
          meta.idleSince = now;
        } catch (error) {
          client.release(error instanceof Error ? error : true);
          throwIfAborted(signal);
          this.#host.recordError(error);
          continue;
        }
      }
      const lease = this.#checkOut(client, started, origin);
      if (lease) return lease;
      client.release();
    }
  }

  /** A lease on `client`, or undefined when it has expired or must be validated first. */
  #checkOut(
    client: PoolClient,
    started: number,
    origin: Error | QueryText | undefined,
  ): Lease | undefined {
    const lease = this.#host.leases.checkOut(client, started, origin);
    if (lease) this.#host.acquired(lease.since - started);
    return lease;
  }

  /** A connection from pg's pool, retrying failed connects with backoff until the deadline. */
  async #connectAgain(
    firstFailure: { readonly error: unknown } | undefined,
    signal: AbortSignal | undefined,
    started: number,
  ): Promise<PoolClient> {
    let lastError: unknown;
    for (let attempt = 0; ; attempt += 1) {
      let error: unknown;
      if (attempt === 0 && firstFailure) {
        error = firstFailure.error;
      } else {
        try {
          throwIfAborted(signal);
          const pending = this.#host.pg.connect();
          // pg bounds the first wait by connectionTimeoutMillis itself; later
          // attempts get only what is left of the caller's budget.
          return await withDeadline(
            pending,
            attempt === 0 ? 0 : this.#host.connectTimeoutMs - (performance.now() - started),
            {
              signal,
              onTimeout: () => this.#host.timeoutError(lastError),
              // The connection may still arrive: hand it straight back.
              onGiveUp: () => {
                pending.then((client) => client.release(), noop);
              },
            },
          );
        } catch (caught) {
          error = caught;
        }
      }
      if (signal?.aborted) throw abortReason(signal);
      if (this.#host.isClosed()) throw this.#host.closedError();
      if (PoolTimeoutError.isInstance(error)) throw error;
      const waitMs = connectRetryDelay(attempt);
      const outOfTime = performance.now() - started + waitMs >= this.#host.connectTimeoutMs;
      // pg gives no code to its own connect timeouts (the queue wait, the
      // handshake) nor to a connection the server closed during startup. A
      // connect that failed so is a lost connection, or, once the budget is
      // spent, the pool's timeout itself: no message is read to tell them apart.
      if (errorCode(error) === undefined) {
        if (outOfTime) throw this.#host.timeoutError(lastError ?? error);
        error = connectionLost(error);
      }
      this.#host.recordError(error);
      if (!isConnectionError(error)) throw error;
      lastError = error;
      if (outOfTime) throw this.#host.timeoutError(error);
      await delay(waitMs, signal);
    }
  }
}
