import {
  assertBoolean,
  assertKnownKeys,
  assertNonNegativeNumber,
  assertOptions,
  assertPercentage,
  assertPositiveInteger,
  assertPositiveNumber,
  assertString,
  type ForeignKeys,
  optionKeys,
  type ToolHandler,
} from "@mcp-prod/internal";
import type { Redis } from "ioredis";
import type { RedisClientLike } from "./redis-client.ts";
import { jsonSerializer, type Serializer } from "./serializer.ts";
import type { Cache } from "./types.ts";

/** Options of {@link createCache}. */
export type CacheOptions = {
  /**
   * Name reported to telemetry as `cache.name`.
   * @default "cache"
   */
  readonly name?: string;
  /**
   * The ioredis client of the L2 tier. Without it the cache is memory-only:
   * the embedded default for a single instance and for tests of user code.
   * The cache never closes this client; it is yours.
   */
  readonly redis?: RedisClientLike;
  /**
   * Prepended to every Redis key (and used for the lock keys and the
   * invalidation channel), so caches of different apps never meet.
   * @default "mcp-prod:cache:"
   */
  readonly prefix?: string;
  /**
   * Time to live of an entry written without `ttlSeconds`.
   * @default 300
   */
  readonly defaultTtlSeconds?: number;
  /**
   * How long after expiry a value may still be served when the factory fails
   * (or times out). `0` disables stale-if-error.
   * @default 0
   */
  readonly staleIfErrorSeconds?: number;
  /**
   * Shortens each TTL by a random 0..`jitterPercent`% so keys written together
   * do not all expire together.
   * @default 0
   */
  readonly jitterPercent?: number;
  /**
   * Default factory timeout in ms: without a stale value the factory's signal
   * is aborted and the call rejects with `CacheTimeoutError`; with one, the
   * stale value is returned and the refresh finishes in the background.
   * @default undefined (no timeout)
   */
  readonly timeoutMs?: number;
  /**
   * Most entries the in-process L1 tier holds (least recently used go first).
   * @default 1000
   */
  readonly maxEntries?: number;
  /**
   * Optional L1 budget in serialized characters (≈ bytes for ASCII JSON).
   * @default undefined (bounded by `maxEntries` only)
   */
  readonly maxBytes?: number;
  /**
   * Keys longer than this are stored as a head plus a SHA-256 digest.
   * At least 100.
   * @default 200
   */
  readonly maxKeyLength?: number;
  /**
   * Timeout of every Redis command. A command that fails or takes longer
   * counts as a miss (and an `error` event), never as the caller's error.
   * @default 100
   */
  readonly redisTimeoutMs?: number;
  /**
   * How long the cross-process computation lock lives (`SET NX PX`).
   * @default 10000
   */
  readonly lockTtlMs?: number;
  /**
   * How long a process waits for another process's value before it computes
   * the value itself.
   * @default 5000
   */
  readonly lockWaitMs?: number;
  /**
   * Poll interval while waiting on another process's lock (an invalidation
   * message wakes the waiter sooner).
   * @default 25
   */
  readonly lockPollMs?: number;
  /**
   * Publish `set`/`delete`/`clear` on Redis pub/sub and drop the L1 copies
   * other instances announce. Opens one extra connection (`redis.duplicate()`).
   * @default true when `redis` is given
   */
  readonly invalidation?: boolean;
  /**
   * How values are turned into stored strings.
   * @default jsonSerializer
   */
  readonly serializer?: Serializer;
};

/** Per-entry options of `set`. */
export type SetOptions = {
  /** Time to live; defaults to the cache's `defaultTtlSeconds`. */
  readonly ttlSeconds?: number;
  /** Stale window after expiry; defaults to the cache's `staleIfErrorSeconds`. */
  readonly staleIfErrorSeconds?: number;
  readonly signal?: AbortSignal;
};

/** Per-call options of `getOrSet` / `getOrSetEntry`. */
export type GetOrSetOptions = SetOptions & {
  /** Factory timeout in ms; defaults to the cache's `timeoutMs`. */
  readonly timeoutMs?: number;
};

/** Options of {@link withCache}. */
export type WithCacheOptions<H extends ToolHandler = ToolHandler> = {
  /** The cache the results live in (state outside the handler, shared across server instances). */
  readonly cache: Cache;
  /**
   * The cache key of one call. It receives the handler's own parameters
   * (`args, extra` for a tool with an `inputSchema`), typed like the handler.
   * Return `undefined` to skip the cache for this call.
   */
  readonly key: (...params: Parameters<H>) => string | undefined;
  /** Time to live of a cached result; defaults to the cache's `defaultTtlSeconds`. */
  readonly ttlSeconds?: number;
  /** Stale window after expiry; defaults to the cache's `staleIfErrorSeconds`. */
  readonly staleIfErrorSeconds?: number;
  /** Handler timeout; defaults to the cache's `timeoutMs`. */
  readonly timeoutMs?: number;
};

export const WITH_CACHE_KEYS = optionKeys<WithCacheOptions>({
  cache: true,
  key: true,
  ttlSeconds: true,
  staleIfErrorSeconds: true,
  timeoutMs: true,
});

/** Where other libraries' names for `withCache`'s options live here. */
export const WITH_CACHE_FOREIGN_KEYS: ForeignKeys = {
  ttl: "use `ttlSeconds` (seconds)",
  grace: "use `staleIfErrorSeconds`",
};

/** What one entry is written with: a call's options over the cache's defaults. */
export type Settings = {
  readonly ttlMs: number;
  readonly staleMs: number;
  readonly timeoutMs: number | undefined;
};

/** The options of a cache, checked and with their defaults filled in. */
export type CacheSettings = {
  readonly name: string;
  readonly redis: Redis | undefined;
  readonly prefix: string;
  readonly defaults: Settings;
  /** `jitterPercent` as a fraction. */
  readonly jitter: number;
  readonly maxEntries: number;
  readonly maxBytes: number | undefined;
  readonly maxKeyLength: number;
  readonly redisTimeoutMs: number;
  readonly lockTtlMs: number;
  readonly lockWaitMs: number;
  readonly lockPollMs: number;
  readonly invalidation: boolean;
  readonly serializer: Serializer;
};

const CACHE_KEYS = optionKeys<CacheOptions>({
  name: true,
  redis: true,
  prefix: true,
  defaultTtlSeconds: true,
  staleIfErrorSeconds: true,
  jitterPercent: true,
  timeoutMs: true,
  maxEntries: true,
  maxBytes: true,
  maxKeyLength: true,
  redisTimeoutMs: true,
  lockTtlMs: true,
  lockWaitMs: true,
  lockPollMs: true,
  invalidation: true,
  serializer: true,
});

const CALL_KEYS = optionKeys<GetOrSetOptions>({
  ttlSeconds: true,
  staleIfErrorSeconds: true,
  timeoutMs: true,
  signal: true,
});

const STALE_HINT =
  "use `staleIfErrorSeconds` (how long an expired value may still be served when the factory fails)";

/** bentocache's, cache-manager's and lru-cache's names for options that live elsewhere here. */
export const CACHE_FOREIGN_KEYS: ForeignKeys = {
  ttl: "use `defaultTtlSeconds` (seconds); per call, `ttlSeconds`",
  grace: STALE_HINT,
  gracePeriod: STALE_HINT,
  staleTtl: STALE_HINT,
  max: "use `maxEntries`",
  maxSize: "use `maxBytes` (serialized characters) or `maxEntries`",
  store: "pass an ioredis client as `redis`; without it the cache is memory-only",
  l2: "pass an ioredis client as `redis`; without it the cache is memory-only",
};

const CALL_FOREIGN_KEYS: ForeignKeys = {
  ttl: "use `ttlSeconds` (seconds)",
  grace: STALE_HINT,
  gracePeriod: STALE_HINT,
  staleTtl: STALE_HINT,
};

/** Checks the options of `createCache()`, throwing a `TypeError` naming the first bad one. */
export function resolveCacheOptions(options: CacheOptions): CacheSettings {
  assertOptions(options);
  assertKnownKeys(options, CACHE_KEYS, "createCache()", CACHE_FOREIGN_KEYS);
  const {
    name = "cache",
    redis,
    prefix = "mcp-prod:cache:",
    defaultTtlSeconds = 300,
    staleIfErrorSeconds = 0,
    jitterPercent = 0,
    timeoutMs,
    maxEntries = 1000,
    maxBytes,
    maxKeyLength = 200,
    redisTimeoutMs = 100,
    lockTtlMs = 10_000,
    lockWaitMs = 5_000,
    lockPollMs = 25,
    invalidation = redis !== undefined,
    serializer = jsonSerializer,
  } = options;
  assertString(name, "name");
  if (redis !== undefined && !isRedisClient(redis)) {
    throw new TypeError("Expected `redis` to be an ioredis client, got an object");
  }
  if (typeof prefix !== "string") {
    throw new TypeError(`Expected \`prefix\` to be a string, got ${typeof prefix}`);
  }
  assertPositiveNumber(defaultTtlSeconds, "defaultTtlSeconds");
  assertNonNegativeNumber(staleIfErrorSeconds, "staleIfErrorSeconds");
  assertPercentage(jitterPercent, "jitterPercent");
  assertPositiveNumber(timeoutMs, "timeoutMs", true);
  assertPositiveInteger(maxEntries, "maxEntries");
  assertPositiveInteger(maxBytes, "maxBytes", true);
  assertPositiveInteger(maxKeyLength, "maxKeyLength");
  if (maxKeyLength < 100) {
    throw new TypeError(
      `Expected \`maxKeyLength\` to be at least 100, got ${String(maxKeyLength)}`,
    );
  }
  assertPositiveNumber(redisTimeoutMs, "redisTimeoutMs");
  assertPositiveInteger(lockTtlMs, "lockTtlMs");
  assertNonNegativeNumber(lockWaitMs, "lockWaitMs");
  assertPositiveNumber(lockPollMs, "lockPollMs");
  assertBoolean(invalidation, "invalidation");
  if (
    typeof serializer !== "object" ||
    serializer === null ||
    typeof serializer.serialize !== "function" ||
    typeof serializer.deserialize !== "function"
  ) {
    throw new TypeError(
      "Expected `serializer` to be an object with serialize and deserialize functions",
    );
  }
  if (invalidation && redis === undefined) {
    throw new TypeError("Expected `redis` to be set when `invalidation` is true");
  }

  return {
    name,
    redis,
    prefix,
    defaults: {
      ttlMs: defaultTtlSeconds * 1000,
      staleMs: staleIfErrorSeconds * 1000,
      timeoutMs,
    },
    jitter: jitterPercent / 100,
    maxEntries,
    maxBytes,
    maxKeyLength,
    redisTimeoutMs,
    lockTtlMs,
    lockWaitMs,
    lockPollMs,
    invalidation,
    serializer,
  };
}

/** The settings of one call: its options checked, over the cache's `defaults`. */
export function callSettings(
  defaults: Settings,
  options: GetOrSetOptions | undefined,
  where = "cache.getOrSet()",
): Settings {
  if (options === undefined) return defaults;
  assertOptions(options);
  assertKnownKeys(options, CALL_KEYS, where, CALL_FOREIGN_KEYS);
  const { ttlSeconds, staleIfErrorSeconds, timeoutMs } = options;
  assertPositiveNumber(ttlSeconds, "ttlSeconds", true);
  assertNonNegativeNumber(staleIfErrorSeconds, "staleIfErrorSeconds", true);
  assertPositiveNumber(timeoutMs, "timeoutMs", true);
  return {
    ttlMs: ttlSeconds === undefined ? defaults.ttlMs : ttlSeconds * 1000,
    staleMs: staleIfErrorSeconds === undefined ? defaults.staleMs : staleIfErrorSeconds * 1000,
    timeoutMs: timeoutMs ?? defaults.timeoutMs,
  };
}

/** Internally the client is used as the ioredis client it is; only the published types stay structural. */
function isRedisClient(value: unknown): value is Redis {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Redis).get === "function" &&
    typeof (value as Redis).set === "function" &&
    typeof (value as Redis).duplicate === "function"
  );
}
