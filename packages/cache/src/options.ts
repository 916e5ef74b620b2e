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
} from "@mcp-prod/internal";
import type { Redis } from "ioredis";
import { jsonSerializer, type Serializer } from "./serializer.ts";
import type { CacheOptions, GetOrSetOptions } from "./types.ts";

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
