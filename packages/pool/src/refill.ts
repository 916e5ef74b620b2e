import { type Backoff, backoffDelay, errorCode } from "@mcp-prod/internal";
import type pg from "pg";
import type { PoolTimeoutError } from "./errors.ts";

const REFILL_RETRY: Backoff = { jitter: "equal", minDelayMs: 100, maxDelayMs: 5000 };

/** What keeping `min` connections open needs of its pool. */
export type RefillHost = {
  readonly pg: pg.Pool;
  readonly min: number;
  isClosed(): boolean;
  /** Counts a connection-level failure; it schedules the next refill itself. */
  recordError(error: unknown): void;
  timeoutError(cause: unknown): PoolTimeoutError;
};

/**
 * Keeps `min` connections open: opens them at start, and reopens them in the
 * background (with backoff) when connections are lost or fail to open.
 */
export class Refill {
  readonly #host: RefillHost;
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #refilling = false;

  constructor(host: RefillHost) {
    this.#host = host;
  }

  /**
   * Opens the first `min` connections; rejects with the first failure, after
   * which the refill goes on in the background.
   */
  start(): Promise<void> {
    return this.#warm().catch((error: unknown) => {
      this.#retry();
      throw error;
    });
  }

  /** A connection opened: the next failure starts its backoff afresh. */
  connected(): void {
    this.#attempt = 0;
  }

  /** A connection failed or was lost: look again after the current backoff. */
  afterError(): void {
    this.schedule(backoffDelay(this.#attempt + 1, REFILL_RETRY));
  }

  /** Refills in `delayMs` unless one is due or running, or `min` connections are open. */
  schedule(delayMs: number): void {
    const { pg, min } = this.#host;
    if (this.#host.isClosed() || min === 0 || this.#timer || this.#refilling) return;
    if (pg.totalCount >= min) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#warm().then(
        // Connections other callers were still opening may yet fail: look again later.
        () => this.afterError(),
        () => this.#retry(),
      );
    }, delayMs);
    this.#timer.unref();
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
  }

  /** Opens connections until `min` are open: pg's own `min` only stops idle ones from closing. */
  async #warm(): Promise<void> {
    const { pg, min } = this.#host;
    if (this.#host.isClosed()) return;
    const held = pg.totalCount - pg.idleCount;
    const wanted = min - held;
    if (pg.totalCount >= min || wanted <= 0) return;
    this.#refilling = true;
    try {
      const results = await Promise.allSettled(Array.from({ length: wanted }, () => pg.connect()));
      let failure: unknown;
      for (const result of results) {
        if (result.status === "fulfilled") result.value.release();
        else failure ??= result.reason;
      }
      if (failure !== undefined) {
        this.#host.recordError(failure);
        // pg's code-less connect failures (its timeouts, a connection closed during
        // startup) all mean no connection could be had: the pool's timeout error.
        throw errorCode(failure) === undefined ? this.#host.timeoutError(failure) : failure;
      }
      this.#attempt = 0;
    } finally {
      this.#refilling = false;
    }
  }

  #retry(): void {
    this.#attempt += 1;
    this.afterError();
  }
}
