/**
 * The events of every mcp-prod package, declared once: each package exports
 * its map under the name below, and @mcp-prod/telemetry observes the same
 * declarations, so an emitter and its observer cannot drift apart. An event
 * that carries data passes exactly one object; one that carries none passes
 * nothing.
 */

/**
 * The three states of a circuit breaker, as `stats().state` and the
 * `stateChange` event report them.
 *
 * @example
 * ```ts
 * const state: BreakerState = breaker.stats().state;
 * ```
 */
export type BreakerState = "closed" | "open" | "halfOpen";

/**
 * The events of a breaker; `on(name, listener)` returns the remover.
 *
 * @example
 * ```ts
 * breaker.on("stateChange", ({ from, to }) => logger.info({ from, to }, "breaker state"));
 * breaker.on("failure", ({ error, latencyMs }) => logger.warn({ err: error, latencyMs }, "call failed"));
 * ```
 */
export type BreakerEvents = {
  /** The circuit opened: calls are rejected until `resetTimeout` has passed. */
  open: () => void;
  /** The reset timeout passed: probe calls are let through. */
  halfOpen: () => void;
  /** The circuit closed: calls run again. */
  close: () => void;
  /** Any transition, with the state before and after. */
  stateChange: (change: { readonly from: BreakerState; readonly to: BreakerState }) => void;
  /** A call succeeded after `latencyMs`. */
  success: (event: { readonly latencyMs: number }) => void;
  /** A call failed after `latencyMs` (timeouts and failing results included). */
  failure: (event: { readonly error: unknown; readonly latencyMs: number }) => void;
  /** A call outlived `timeout`; a `failure` event follows. */
  timeout: (event: { readonly latencyMs: number }) => void;
  /** A call was rejected without running because the circuit was open. */
  reject: () => void;
};

/** A cache tier: the in-process LRU (`l1`) or Redis (`l2`). */
export type CacheTier = "l1" | "l2";

/** The Redis operations the cache reports in its `error` event. */
export type CacheOperation =
  | "get"
  | "set"
  | "delete"
  | "clear"
  | "lock"
  | "unlock"
  | "publish"
  | "subscribe"
  | "ping";

/**
 * The events a cache emits.
 *
 * @example
 * ```ts
 * cache.on("hit", ({ tier }) => hits.inc({ tier }));
 * cache.on("error", ({ operation, error }) => logger.warn({ err: error, operation }, "Redis failed"));
 * ```
 */
export type CacheEvents = {
  /** `key` was found fresh in `tier`. */
  hit: (event: { readonly key: string; readonly tier: CacheTier }) => void;
  /** `key` was not found in `tier`. */
  miss: (event: { readonly key: string; readonly tier: CacheTier }) => void;
  /** A stale value of `key` was served because the factory failed. */
  stale: (event: { readonly key: string }) => void;
  /** A Redis operation failed; the cache carried on without it. */
  error: (event: { readonly operation: CacheOperation; readonly error: unknown }) => void;
};

/**
 * Events of a pool, observed structurally by @mcp-prod/telemetry.
 *
 * @example
 * ```ts
 * pool.on("acquire", ({ waitMs }) => acquireHistogram.observe(waitMs / 1000));
 * pool.on("leak", ({ checkedOutMs, stack }) => logger.warn({ checkedOutMs, stack }, "connection leak"));
 * ```
 */
export type PoolEvents = {
  /** A new connection to the server was opened. */
  connect: () => void;
  /** A caller got a connection after `waitMs`. */
  acquire: (event: { readonly waitMs: number }) => void;
  /** A caller gave its connection back. */
  release: () => void;
  /** A connection-level failure: an idle connection died, a connect attempt or a validation failed. */
  error: (event: { readonly error: unknown }) => void;
  /** A connection has been checked out longer than `leakDetectionMs`; `stack` says where it was taken. */
  leak: (event: { readonly checkedOutMs: number; readonly stack: string }) => void;
};

/**
 * The rate limiter's events, observed structurally by @mcp-prod/telemetry.
 * `StoreError` is the error the `error` event carries (`RateLimitStoreError`
 * in @mcp-prod/ratelimit).
 *
 * @example
 * ```ts
 * limiter.on("limited", ({ key, retryAfterMs }) => logger.info({ retryAfterMs }, "rate limited"));
 * ```
 */
export type RateLimiterEvents<StoreError = unknown> = {
  /** A call was refused. */
  limited: (event: { readonly key: string; readonly retryAfterMs: number }) => void;
  /** The store failed; the call was served by the fallback (or refused, when fail-closed). */
  error: (event: { readonly error: StoreError }) => void;
};

/** The events of a bulkhead: `bulkhead.on("reject", listener)`. */
export type BulkheadEvents = {
  /** A call was refused: every slot and queue place was taken. */
  reject: (event: {
    readonly name: string;
    readonly active: number;
    readonly queued: number;
  }) => void;
  /** A queued call waited `queueTimeoutMs` and left the queue. */
  queueTimeout: (event: {
    readonly name: string;
    readonly queueTimeoutMs: number;
    readonly active: number;
    readonly queued: number;
  }) => void;
};

/** A fault chaos injects. */
export type ChaosFaultKind = "latency" | "error" | "errorResult" | "abort";

/** The events of chaos: `inject` for each fault injected. */
export type ChaosEvents = {
  inject: (event: { readonly fault: ChaosFaultKind }) => void;
};

/** Why a finished call's result was not kept for its duplicates. */
export type IdempotencyNotStoredReason = "tooLarge" | "errorResult";

/** The store operations an idempotency store reports in its `storeError` event. */
export type IdempotencyOperation = "claim" | "complete" | "release" | "read";

/**
 * The events of an idempotency store (`createMemoryStore()`,
 * `createRedisStore()`, `createPostgresStore()`), emitted by the calls that
 * use it. `tool` is the tool's name (empty when no name was given); keys are
 * never part of an event.
 *
 * @example
 * ```ts
 * store.on("replayed", ({ tool }) => logger.info({ tool }, "answered a duplicate from the stored result"));
 * store.on("notStored", ({ tool, reason }) => logger.warn({ tool, reason }, "result not stored"));
 * ```
 */
export type IdempotencyEvents = {
  /** A duplicate was answered with the stored result; `waitedMs` it waited for the first call (0 when it had finished). */
  replayed: (event: { readonly tool: string; readonly waitedMs: number }) => void;
  /** A duplicate found the first call still running and starts waiting for it. */
  waiting: (event: { readonly tool: string }) => void;
  /** A duplicate found the first call still running and waited `waitedMs` for it. */
  waited: (event: { readonly tool: string; readonly waitedMs: number }) => void;
  /** The key was used before with other arguments: the call was refused. */
  mismatch: (event: { readonly tool: string }) => void;
  /** The first call still ran after `waitTimeoutMs`: the duplicate was answered with an error. */
  inProgress: (event: { readonly tool: string; readonly waitedMs: number }) => void;
  /** A finished call's result was not stored (`bytes` is its size when too large). */
  notStored: (event: {
    readonly tool: string;
    readonly reason: IdempotencyNotStoredReason;
    readonly bytes?: number;
  }) => void;
  /** The store failed or was slower than its deadline. */
  storeError: (event: {
    readonly tool: string;
    readonly operation: IdempotencyOperation;
    readonly error: unknown;
  }) => void;
};
