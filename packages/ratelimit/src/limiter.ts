import {
  assertKnownKeys,
  assertString,
  describeError,
  EventSource,
  optionKeys,
  type RateLimiterEvents as RateLimiterEventsOf,
  RedisReadiness,
  raceAbort,
  throwIfAborted,
  withDeadline,
} from "@mcp-prod/internal";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { RateLimitClosedError, RateLimitExceededError, RateLimitStoreError } from "./errors.ts";
import {
  createNodeMiddleware,
  type NodeMiddlewareOptions,
  type NodeRateLimitMiddleware,
} from "./node-middleware.ts";
import {
  assertCost,
  type LimiterSettings,
  type RateLimiterOptions,
  readLimiterOptions,
} from "./options.ts";
import { forgetLimiter } from "./registry.ts";
import { tracedConsume } from "./tracing.ts";

/** Which store decided a call: the memory store, Redis, or the per-replica fallback while Redis was down. */
export type RateLimitStore = "memory" | "redis" | "fallback";

/** The state of a key after a call was allowed. */
export type RateLimitResult = {
  readonly key: string;
  /** The limiter's `points`. */
  readonly limit: number;
  /** Points the key has left in this window. */
  readonly remainingPoints: number;
  /** Points the key has spent in this window, this call included. */
  readonly consumedPoints: number;
  /** Milliseconds until the window resets. */
  readonly msBeforeReset: number;
  readonly store: RateLimitStore;
};

/** The limiter's events, observed structurally by @mcp-prod/telemetry. */
export type RateLimiterEvents = RateLimiterEventsOf<RateLimitStoreError>;

export type ConsumeOptions = {
  /**
   * Points this call costs.
   * @default 1
   */
  readonly cost?: number;
  /** Abandons the wait for the store; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
};

export type RateLimiter = {
  readonly name: string;
  readonly points: number;
  readonly durationSeconds: number;
  /**
   * Spends `cost` points of `key`. Resolves with the key's state when allowed;
   * rejects with {@link RateLimitExceededError} when over the limit. A store
   * failure never rejects (see `onStoreError`).
   */
  consume(key: string, options?: ConsumeOptions): Promise<RateLimitResult>;
  /** Forgets `key`'s count (in the store and the fallback), e.g. after an operator lifts a limit. */
  reset(key: string): Promise<void>;
  /** A Node HTTP guard answering 429 + `Retry-After` over the limit. */
  nodeMiddleware(options?: NodeMiddlewareOptions): NodeRateLimitMiddleware;
  on<Name extends keyof RateLimiterEvents>(
    name: Name,
    listener: RateLimiterEvents[Name],
  ): () => void;
  off<Name extends keyof RateLimiterEvents>(name: Name, listener: RateLimiterEvents[Name]): void;
  /**
   * Drops the in-memory counts and the listeners; later calls reject with
   * {@link RateLimitClosedError}. The Redis client is yours and stays open.
   */
  close(): Promise<void>;
};

/** The option names of {@link RateLimiterOptions}. */

/**
 * Creates a rate limiter on rate-limiter-flexible: in memory by default, in
 * Redis when `redis` is given, so every replica shares one count per key.
 * While Redis is down calls are counted per replica in memory (or refused,
 * with `onStoreError: "closed"`); a caller never sees a store error.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { createRateLimiter, RateLimitExceededError } from "@mcp-prod/ratelimit";
 *
 * const limiter = createRateLimiter({
 *   name: "tools",
 *   points: 60,
 *   durationSeconds: 60,
 *   redis: new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379"),
 * });
 * try {
 *   await limiter.consume("client-42");
 * } catch (error) {
 *   if (!RateLimitExceededError.isInstance(error)) throw error;
 *   // tell the client to come back in error.retryAfterSeconds
 * }
 * ```
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  return new Limiter(readLimiterOptions(options));
}

const CONSUME_KEYS: ReadonlySet<string> = new Set(
  optionKeys<ConsumeOptions>({ cost: true, signal: true }),
);

class Limiter extends EventSource<RateLimiterEvents> implements RateLimiter {
  readonly name: string;
  readonly points: number;
  readonly durationSeconds: number;
  #options: LimiterSettings;
  /** Counts in this process: the store without Redis, the per-replica fallback with it. */
  #memory: RateLimiterMemory;
  #redis: RateLimiterRedis | undefined;
  /** Set once the client has been seen ready; from then on "not ready" means "down". */
  readonly #redisReadiness = new RedisReadiness();
  #closed = false;

  constructor(options: LimiterSettings) {
    super();
    this.name = options.name;
    this.points = options.points;
    this.durationSeconds = options.durationSeconds;
    this.#options = options;
    const shared = {
      points: options.points,
      duration: options.durationSeconds,
      blockDuration: options.blockDurationSeconds,
      keyPrefix: options.keyPrefix,
    };
    this.#memory = new RateLimiterMemory(shared);
    this.#redis = options.redis
      ? new RateLimiterRedis({
          ...shared,
          storeClient: options.redis,
        })
      : undefined;
  }

  async consume(key: string, options: ConsumeOptions = {}): Promise<RateLimitResult> {
    if (this.#closed) throw new RateLimitClosedError();
    assertString(key, "key");
    assertKnownKeys(options, CONSUME_KEYS, "limiter.consume()", { points: "use `cost`" });
    const { cost = 1, signal } = options;
    assertCost(cost, this.points);
    throwIfAborted(signal);
    // The memory store answers within a microtask, so there is no wait to
    // abandon; racing the signal would only add a listener per call.
    if (!this.#redis) return this.#fromLimiter(this.#memory, key, cost, "memory");
    return raceAbort(this.#consume(key, cost), signal);
  }

  async #consume(key: string, cost: number): Promise<RateLimitResult> {
    const redis = this.#redis as RateLimiterRedis;
    try {
      this.#assertRedisUsable();
      const consumed = tracedConsume(this.#options.redis ?? {}, () => redis.consume(key, cost));
      return this.#toResult(key, await this.#withTimeout(consumed), "redis");
    } catch (error) {
      if (error instanceof RateLimiterRes) throw this.#limited(key, error.msBeforeNext);
      this.#reportStoreError(error);
      if (this.#options.onStoreError === "closed") {
        throw this.#limited(key, this.#options.storeUnavailableRetryAfterMs, error);
      }
      return this.#fromLimiter(this.#memory, key, cost, "fallback");
    }
  }

  async #fromLimiter(
    limiter: RateLimiterMemory,
    key: string,
    cost: number,
    store: RateLimitStore,
  ): Promise<RateLimitResult> {
    try {
      return this.#toResult(key, await limiter.consume(key, cost), store);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw this.#limited(key, error.msBeforeNext);
      throw error;
    }
  }

  #toResult(key: string, res: RateLimiterRes, store: RateLimitStore): RateLimitResult {
    return {
      key,
      limit: this.points,
      remainingPoints: res.remainingPoints,
      consumedPoints: res.consumedPoints,
      msBeforeReset: res.msBeforeNext,
      store,
    };
  }

  #limited(key: string, retryAfterMs: number, storeError?: unknown): RateLimitExceededError {
    const error = new RateLimitExceededError(
      {
        key,
        retryAfterMs,
        limit: this.points,
        durationSeconds: this.durationSeconds,
        storeUnavailable: storeError !== undefined,
      },
      storeError === undefined ? undefined : { cause: storeError },
    );
    this.emit("limited", { key, retryAfterMs });
    return error;
  }

  #reportStoreError(cause: unknown): void {
    if (!this.hasListeners("error")) return;
    const message = describeError(cause);
    this.emit("error", {
      error: new RateLimitStoreError(`Rate limit store failed: ${message}`, { cause }),
    });
  }

  /** A client known to be down sends the call to the fallback at once (see RedisReadiness). */
  #assertRedisUsable(): void {
    const status = this.#options.redis?.status;
    if (this.#redisReadiness.isDown(status))
      throw new Error(`Redis is not ready (status: ${status})`);
  }

  /** The store's answer within `storeTimeoutMs`; the late answer (or failure) of an abandoned command is dropped. */
  #withTimeout<T>(promise: Promise<T>): Promise<T> {
    const timeoutMs = this.#options.storeTimeoutMs;
    return withDeadline(promise, timeoutMs, {
      onTimeout: () => new Error(`Redis did not answer within ${timeoutMs} ms`),
    });
  }

  async reset(key: string): Promise<void> {
    if (this.#closed) throw new RateLimitClosedError();
    assertString(key, "key");
    await this.#memory.delete(key);
    if (this.#redis) {
      try {
        this.#assertRedisUsable();
        await this.#withTimeout(this.#redis.delete(key));
      } catch (error) {
        this.#reportStoreError(error);
      }
    }
  }

  nodeMiddleware(options: NodeMiddlewareOptions = {}): NodeRateLimitMiddleware {
    if (this.#closed) throw new RateLimitClosedError();
    return createNodeMiddleware(this, options);
  }

  async close(): Promise<void> {
    this.#closed = true;
    forgetLimiter(this.name, this);
    // The old store's per-key timers are unref'd and end with their windows.
    this.#memory = new RateLimiterMemory({ points: this.points, duration: this.durationSeconds });
    this.#redis = undefined;
    this.removeAllListeners();
  }
}
