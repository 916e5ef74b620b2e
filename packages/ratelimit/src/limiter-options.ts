import {
  assertKnownKeys,
  assertNonNegativeInteger,
  assertOneOf,
  assertOptions,
  assertPositiveInteger,
  assertPositiveNumber,
  assertString,
  type ForeignKeys,
  optionKeys,
} from "@mcp-prod/internal";

/**
 * The part of an ioredis client (`Redis` or `Cluster`) the limiter relies on.
 * Typed structurally so the package's types do not need ioredis installed.
 */
export type RedisClientLike = {
  /** ioredis connection state; anything but `"ready"` sends calls to the fallback at once. */
  readonly status: string;
  defineCommand(name: string, definition: { numberOfKeys?: number; lua: string }): void;
};

export type RateLimiterOptions = {
  /**
   * Names the limiter in events and metrics (never the keys).
   * @default "ratelimit"
   */
  readonly name?: string;
  /** Calls (points) a key may spend per window. A positive integer. */
  readonly points: number;
  /** Length of the window in seconds, counted from a key's first call. A positive integer. */
  readonly durationSeconds: number;
  /**
   * Once a key is over its limit, keep refusing it for this many seconds
   * instead of only until the window ends. `0` turns blocking off.
   * @default 0
   */
  readonly blockDurationSeconds?: number;
  /**
   * An ioredis client shared by every replica: the limit then holds across
   * them. Without it counts live in this process's memory.
   * @default undefined (memory store)
   */
  readonly redis?: RedisClientLike;
  /**
   * Prefix of the Redis keys. Limiters that share a prefix (and options)
   * enforce one limit together.
   * @default `mcp-prod:ratelimit:${name}`
   */
  readonly keyPrefix?: string;
  /**
   * What happens to a call while Redis is unreachable or slower than
   * `storeTimeoutMs`. `"open"`: the call is counted by an in-memory limiter
   * with the same options in this replica (so N replicas let through up to N
   * times the limit until Redis is back). `"closed"`: the call is refused with
   * a {@link RateLimitExceededError} whose `storeUnavailable` is true. Either
   * way the store error is reported through the `error` event, never thrown.
   * @default "open"
   */
  readonly onStoreError?: "open" | "closed";
  /**
   * How long a Redis call may take before the call is decided as if Redis
   * were down (a paused or overloaded Redis must not stall tool calls).
   * @default 500
   */
  readonly storeTimeoutMs?: number;
  /**
   * `retryAfterMs` given to refused calls while the store is down and
   * `onStoreError` is `"closed"`.
   * @default 1000
   */
  readonly storeUnavailableRetryAfterMs?: number;
};

/** {@link RateLimiterOptions} checked, with every default filled in. */
export type LimiterSettings = Required<Omit<RateLimiterOptions, "redis">> & {
  readonly redis: RedisClientLike | undefined;
};

/** The option names of {@link RateLimiterOptions}. */
export const LIMITER_KEYS = optionKeys<RateLimiterOptions>({
  name: true,
  points: true,
  durationSeconds: true,
  blockDurationSeconds: true,
  redis: true,
  keyPrefix: true,
  onStoreError: true,
  storeTimeoutMs: true,
  storeUnavailableRetryAfterMs: true,
});

/** rate-limiter-flexible's and express-rate-limit's names. */
export const LIMITER_FOREIGN_KEYS: ForeignKeys = {
  duration: "use `durationSeconds` (seconds)",
  blockDuration: "use `blockDurationSeconds` (seconds)",
  storeClient: "use `redis` (an ioredis client)",
  insuranceLimiter:
    'use `onStoreError: "open"` (the default: an in-memory limiter while Redis is down)',
  inMemoryBlockOnConsumed: "use `blockDurationSeconds`",
  windowMs: "use `durationSeconds` (seconds)",
  max: "use `points`",
  limit: "use `points`",
  keyGenerator: "pass `key` to `withRateLimit()` or `nodeMiddleware()`",
  capacity: "use `points` (a concurrency limit is @mcp-prod/bulkhead)",
};

/** Checks the options of `createRateLimiter()` and fills in the defaults. */
export function readLimiterOptions(options: RateLimiterOptions): LimiterSettings {
  assertOptions(options);
  if (options === undefined)
    throw new TypeError("Expected `options` to be an object, got undefined");
  assertKnownKeys(options, LIMITER_KEYS, "createRateLimiter()", LIMITER_FOREIGN_KEYS);
  const {
    name = "ratelimit",
    points,
    durationSeconds,
    blockDurationSeconds = 0,
    redis,
    keyPrefix = `mcp-prod:ratelimit:${name}`,
    onStoreError = "open",
    storeTimeoutMs = 500,
    storeUnavailableRetryAfterMs = 1000,
  } = options;
  assertString(name, "name");
  assertPositiveInteger(points, "points");
  assertPositiveInteger(durationSeconds, "durationSeconds");
  assertNonNegativeInteger(blockDurationSeconds, "blockDurationSeconds");
  if (redis !== undefined && (typeof redis !== "object" || redis === null || !("status" in redis)))
    throw new TypeError(
      `Expected \`redis\` to be an ioredis client, got ${redis === null ? "null" : typeof redis}`,
    );
  assertString(keyPrefix, "keyPrefix");
  assertOneOf(onStoreError, "onStoreError", ["open", "closed"] as const);
  assertPositiveNumber(storeTimeoutMs, "storeTimeoutMs");
  assertPositiveNumber(storeUnavailableRetryAfterMs, "storeUnavailableRetryAfterMs");
  return {
    name,
    points,
    durationSeconds,
    blockDurationSeconds,
    redis,
    keyPrefix,
    onStoreError,
    storeTimeoutMs,
    storeUnavailableRetryAfterMs,
  };
}

/** A cost above `points` could never be allowed: refused as a programming error, not "retry later". */
export function assertCost(cost: unknown, points: number): void {
  assertPositiveInteger(cost, "cost");
  if ((cost as number) > points)
    throw new TypeError(
      `Expected \`cost\` to be at most the limiter's \`points\` (${points}), got ${cost as number}: such a call could never be allowed`,
    );
}
