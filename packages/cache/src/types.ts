import type { CacheEvents, CacheOperation } from "@mcp-prod/internal";
import type { RedisClientLike } from "./redis-client.ts";
import type { Serializer } from "./serializer.ts";

export type { CacheEvents, CacheOperation };

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

/** What a factory receives: aborted on timeout, when every caller has gone, or on `close()`. */
export type FactoryContext = { readonly signal: AbortSignal; readonly key: string };

/** Computes the value of a missing or expired key. */
export type CacheFactory<T> = (context: FactoryContext) => T | Promise<T>;

/** Where a value came from. */
export type CacheSource = "l1" | "l2" | "origin";

/** A value with the facts a wrapper needs to report it. */
export type CacheResult<T> = {
  readonly value: T;
  /** True when the value is past its TTL and was served because the factory failed or was slow. */
  readonly stale: boolean;
  readonly source: CacheSource;
};

/** The counters of `stats()`, the shape @mcp-prod/telemetry reads. */
export type CacheStats = {
  readonly hits: { readonly l1: number; readonly l2: number };
  readonly misses: { readonly l1: number; readonly l2: number };
  readonly stale: number;
  readonly errors: number;
  readonly factoryCalls: number;
};

export type CacheHealth = "healthy" | "degraded" | "unhealthy";

/** A two-tier cache made by {@link createCache}. */
export type Cache = {
  readonly name: string;
  /**
   * The value of `key`: from L1, else L2, else from `factory` (one call per key
   * across concurrent callers and, with Redis, across processes).
   */
  getOrSet<T>(key: string, factory: CacheFactory<T>, options?: GetOrSetOptions): Promise<T>;
  /** As `getOrSet`, with whether the value is stale and where it came from. */
  getOrSetEntry<T>(
    key: string,
    factory: CacheFactory<T>,
    options?: GetOrSetOptions,
  ): Promise<CacheResult<T>>;
  /** The fresh value of `key`, or `undefined`. */
  get<T = unknown>(
    key: string,
    options?: { readonly signal?: AbortSignal },
  ): Promise<T | undefined>;
  /** Stores `value`; rejects with `CacheSerializationError` when it cannot be serialized. */
  set(key: string, value: unknown, options?: SetOptions): Promise<void>;
  /** Removes `key` from both tiers and from other instances' L1. */
  delete(key: string, options?: { readonly signal?: AbortSignal }): Promise<void>;
  /** True when `key` has a fresh value. */
  has(key: string, options?: { readonly signal?: AbortSignal }): Promise<boolean>;
  /** Removes every key starting with `prefix` (all keys of this cache without one), SCAN-based. */
  clear(options?: { readonly prefix?: string; readonly signal?: AbortSignal }): Promise<void>;
  /** A snapshot of the counters. */
  stats(): CacheStats;
  /** `healthy` (Redis answers PING in time, or memory-only), `degraded` (serving without Redis), `unhealthy` (closed). */
  healthCheck(options?: { readonly signal?: AbortSignal }): Promise<CacheHealth>;
  on<Name extends keyof CacheEvents>(name: Name, listener: CacheEvents[Name]): () => void;
  off<Name extends keyof CacheEvents>(name: Name, listener: CacheEvents[Name]): void;
  /** Aborts running factories, closes the invalidation connection; leaves your Redis client open. */
  close(): Promise<void>;
};
