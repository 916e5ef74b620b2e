import { type ForeignKeys, optionKeys } from "@mcp-prod/internal";
import type { Bulkhead } from "./bulkhead.ts";

/** Options of {@link createBulkhead}. */
export type BulkheadOptions = {
  /**
   * Reported in errors, events and results.
   * @default "bulkhead"
   */
  readonly name?: string;
  /** Calls allowed to run at once. Required. */
  readonly limit: number;
  /**
   * Calls allowed to wait for a slot when all are busy; beyond that a call is
   * refused at once with `BulkheadRejectedError`.
   * @default 0
   */
  readonly queue?: number;
  /**
   * How long a queued call waits for a slot, in ms, before it leaves the
   * queue with `BulkheadQueueTimeoutError`.
   * @default undefined (waits until a slot frees or its signal aborts)
   */
  readonly queueTimeoutMs?: number | undefined;
};

/** The option names of {@link BulkheadOptions}, checked against the type by the compiler. */
export const BULKHEAD_KEYS = optionKeys<BulkheadOptions>({
  name: true,
  limit: true,
  queue: true,
  queueTimeoutMs: true,
});
/** Where resilience4j's, Polly's, cockatiel's and p-limit's names live here. */
export const BULKHEAD_FOREIGN_KEYS: ForeignKeys = {
  maxConcurrentCalls: "use `limit`",
  maxConcurrent: "use `limit`",
  concurrency: "use `limit`",
  capacity: "use `limit`",
  maxParallelization: "use `limit`",
  PermitLimit: "use `limit`",
  maxQueueSize: "use `queue`",
  maxQueuingActions: "use `queue`",
  QueueLimit: "use `queue`",
  queueSize: "use `queue`",
  maxWait: "use `queueTimeoutMs` (milliseconds)",
  maxWaitDuration: "use `queueTimeoutMs` (milliseconds)",
  timeout:
    "no counterpart: `queueTimeoutMs` bounds the wait for a slot; a call's own deadline is `withTimeout` (@mcp-prod/timeout) or the breaker's `timeout`",
};

/**
 * Options of `withBulkhead`: a bulkhead of the tool's own
 * (`{ limit, queue, queueTimeoutMs }`, named after the tool under `compose`),
 * or a shared one (`{ bulkhead }`) that also limits the other tools given it.
 */
export type WithBulkheadOptions = BulkheadOptions | SharedBulkheadOptions;

/** `withBulkhead`'s options with a shared bulkhead. */
export type SharedBulkheadOptions = { readonly bulkhead: Bulkhead };

/** The option names of {@link SharedBulkheadOptions}. */
export const SHARED_BULKHEAD_KEYS = optionKeys<SharedBulkheadOptions>({ bulkhead: true });
