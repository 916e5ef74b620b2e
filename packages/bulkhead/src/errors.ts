import { defineError, McpProdError } from "@mcp-prod/internal";
import type { BulkheadStats } from "./bulkhead.ts";

/** Every `code` a {@link BulkheadError} can carry; match on these, never on messages. */
export type BulkheadErrorCode = "EBULKHEADFULL" | "EBULKHEADTIMEOUT" | "EBULKHEADCLOSED";

/**
 * The base of every error this package raises: the call was not run.
 * - `"EBULKHEADFULL"`: every slot and queue place was taken
 *   ({@link BulkheadRejectedError});
 * - `"EBULKHEADTIMEOUT"`: it waited in the queue past `queueTimeoutMs`
 *   ({@link BulkheadQueueTimeoutError});
 * - `"EBULKHEADCLOSED"`: the bulkhead was closed.
 *
 * Each is marked `transient: true`: trying again later may succeed.
 *
 * @example
 * ```ts
 * import { BulkheadError } from "@mcp-prod/bulkhead";
 *
 * try {
 *   await bulkhead.execute(() => renderReport());
 * } catch (error) {
 *   if (BulkheadError.isInstance(error) && error.code !== "EBULKHEADCLOSED") return tryLater();
 *   throw error;
 * }
 * ```
 */
export class BulkheadError extends McpProdError<BulkheadErrorCode> {
  override readonly name: string = "BulkheadError";
  /** The bulkhead's `name`. */
  readonly bulkhead: string;
  /** Trying again later may succeed (read by retry policies). */
  readonly transient: boolean;

  constructor(code: BulkheadErrorCode, bulkhead: string, message: string) {
    super(code, message);
    this.bulkhead = bulkhead;
    this.transient = code !== "EBULKHEADCLOSED";
  }

  static {
    defineError(BulkheadError, "bulkhead", "BulkheadError", "BulkheadError");
  }
}

/**
 * Every slot was busy and the queue full: the call was refused at once,
 * without running. `stats` is the bulkhead's state at that moment.
 *
 * @example
 * ```ts
 * import { BulkheadRejectedError } from "@mcp-prod/bulkhead";
 *
 * bulkhead.execute(work).catch((error) => {
 *   if (BulkheadRejectedError.isInstance(error)) console.log(error.stats.active, error.stats.queued);
 * });
 * ```
 */
export class BulkheadRejectedError extends BulkheadError {
  override readonly name = "BulkheadRejectedError";
  override readonly code = "EBULKHEADFULL" as const;
  /** The bulkhead's state when the call was refused. */
  readonly stats: BulkheadStats;

  constructor(bulkhead: string, stats: BulkheadStats) {
    super(
      "EBULKHEADFULL",
      bulkhead,
      `Bulkhead "${bulkhead}" is full: ${stats.active} running, ${stats.queued} queued`,
    );
    this.stats = stats;
  }

  static {
    defineError(
      BulkheadRejectedError,
      "bulkhead",
      "BulkheadRejectedError",
      "BulkheadRejectedError",
    );
  }
}

/**
 * A queued call waited `queueTimeoutMs` without getting a slot; it left the
 * queue without running.
 *
 * @example
 * ```ts
 * import { BulkheadQueueTimeoutError } from "@mcp-prod/bulkhead";
 *
 * bulkhead.execute(work).catch((error) => {
 *   if (BulkheadQueueTimeoutError.isInstance(error)) slowQueueCounter.inc();
 * });
 * ```
 */
export class BulkheadQueueTimeoutError extends BulkheadError {
  override readonly name = "BulkheadQueueTimeoutError";
  override readonly code = "EBULKHEADTIMEOUT" as const;
  /** How long the call waited, in ms. */
  readonly queueTimeoutMs: number;

  constructor(bulkhead: string, queueTimeoutMs: number) {
    super(
      "EBULKHEADTIMEOUT",
      bulkhead,
      `Waited ${queueTimeoutMs} ms in bulkhead "${bulkhead}"'s queue without a free slot`,
    );
    this.queueTimeoutMs = queueTimeoutMs;
  }

  static {
    defineError(
      BulkheadQueueTimeoutError,
      "bulkhead",
      "BulkheadQueueTimeoutError",
      "BulkheadQueueTimeoutError",
    );
  }
}
