import { randomUUID } from "node:crypto";
import {
  abortReason,
  assertBoolean,
  assertFunction,
  assertKnownKeys,
  assertNonNegativeNumber,
  assertOptions,
  assertPercentage,
  assertPositiveInteger,
  assertPositiveNumber,
  assertString,
  Emitter,
  type ForeignKeys,
  onAbort,
  optionKeys,
  throwIfAborted,
} from "@mcp-prod/internal";
import type { Redis } from "ioredis";
import { CacheClosedError, CacheSerializationError, CacheTimeoutError } from "./errors.ts";
import { normalizeKey } from "./keys.ts";
import { MemoryTier, type StoredEntry } from "./memory-tier.ts";
import type { RedisClientLike } from "./redis-client.ts";
import { type CacheOperation, RedisTier } from "./redis-tier.ts";
import { jsonSerializer, type Serializer } from "./serializer.ts";

export type { CacheOperation } from "./redis-tier.ts";

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

/** The events a cache emits. */
export type CacheEvents = {
  hit: (event: { key: string; tier: "l1" | "l2" }) => void;
  miss: (event: { key: string; tier: "l1" | "l2" }) => void;
  stale: (event: { key: string }) => void;
  error: (event: { operation: CacheOperation; error: unknown }) => void;
};

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

type Settings = {
  readonly ttlMs: number;
  readonly staleMs: number;
  readonly timeoutMs: number | undefined;
};

/**
 * One in-process computation of a key that concurrent callers share. Its
 * AbortController is made only when needed (a factory runs, a lock is awaited
 * or a caller leaves): the L2-hit path never pays for one.
 */
class Flight {
  #controller: AbortController | undefined;
  promise: Promise<CacheResult<unknown>> = NOT_STARTED;
  waiters = 0;
  /** Callers have their answer (value, stale value or error): leaving no longer aborts anything. */
  answered = false;

  constructor(readonly storageKey: string) {}

  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    this.#controller ??= new AbortController();
    this.#controller.abort(reason);
  }

  throwIfAborted(): void {
    if (this.#controller?.signal.aborted) throw this.#controller.signal.reason;
  }
}

// A placeholder shared by every flight until #load gives it its promise.
const NOT_STARTED = Promise.resolve() as Promise<never>;

type StaleCandidate = { readonly entry: StoredEntry; readonly tier: "l1" | "l2" };

/**
 * Creates a two-tier cache: a bounded in-process LRU in front of Redis, one
 * factory call per key however many requests arrive at once, stale values
 * served when the origin fails, and Redis failures absorbed.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { createCache } from "@mcp-prod/cache";
 *
 * const cache = createCache({ redis: new Redis(), prefix: "analytics:", defaultTtlSeconds: 300 });
 * const report = await cache.getOrSet("report:42", ({ signal }) => fetchReport(42, { signal }), {
 *   staleIfErrorSeconds: 3600,
 * });
 * ```
 */
export function createCache(options?: CacheOptions): Cache {
  return new TwoTierCache(options);
}

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

const INVALIDATE_KEY = "k";
const INVALIDATE_PREFIX = "p";

class TwoTierCache implements Cache {
  readonly name: string;
  readonly #l1: MemoryTier;
  readonly #l2: RedisTier | undefined;
  readonly #subscriber: Redis | undefined;
  readonly #channel: string;
  readonly #instanceId = randomUUID();
  readonly #events = new Emitter<CacheEvents>();
  readonly #serializer: Serializer;
  readonly #defaults: Settings;
  readonly #jitter: number;
  readonly #maxKeyLength: number;
  readonly #lockWaitMs: number;
  readonly #lockPollMs: number;
  readonly #flights = new Map<string, Flight>();
  readonly #wakers = new Map<string, Set<() => void>>();
  #closed = false;
  #hitsL1 = 0;
  #hitsL2 = 0;
  #missesL1 = 0;
  #missesL2 = 0;
  #stale = 0;
  #errors = 0;
  #factoryCalls = 0;

  constructor(options: CacheOptions = {}) {
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

    this.name = name;
    this.#serializer = serializer;
    this.#defaults = {
      ttlMs: defaultTtlSeconds * 1000,
      staleMs: staleIfErrorSeconds * 1000,
      timeoutMs,
    };
    this.#jitter = jitterPercent / 100;
    this.#maxKeyLength = maxKeyLength;
    this.#lockWaitMs = lockWaitMs;
    this.#lockPollMs = lockPollMs;
    this.#channel = `${prefix}__invalidate__`;
    this.#l1 = new MemoryTier({ maxEntries, maxBytes });
    this.#l2 =
      redis === undefined
        ? undefined
        : new RedisTier({
            redis,
            prefix,
            commandTimeoutMs: redisTimeoutMs,
            serializer,
            lockTtlMs,
            onError: (operation, error) => this.#reportError(operation, error),
          });
    if (redis !== undefined && invalidation) {
      this.#subscriber = this.#subscribe(redis);
    }
    // Handed around unbound: `{ check: cache.healthCheck }`, `cleanup: [cache.close]`.
    this.healthCheck = this.healthCheck.bind(this);
    this.close = this.close.bind(this);
  }

  getOrSet<T>(key: string, factory: CacheFactory<T>, options?: GetOrSetOptions): Promise<T> {
    // The hot path: a warm L1 hit is a map lookup and a clock read.
    if (typeof key === "string" && key.length <= this.#maxKeyLength && !this.#closed) {
      const entry = this.#l1.get(key);
      if (entry !== undefined && entry.freshUntil > Date.now()) {
        this.#hitsL1++;
        if (this.#events.hasListeners("hit")) this.#events.emit("hit", { key, tier: "l1" });
        return Promise.resolve(entry.value as T);
      }
    }
    // One hop from the shared result to the value: each extra promise in this
    // chain cost a visible share of an L2 hit (a Redis round trip).
    return this.#lookup(key, factory as CacheFactory<unknown>, options).then((result) =>
      this.#deliver(key, result),
    ) as Promise<T>;
  }

  getOrSetEntry<T>(
    key: string,
    factory: CacheFactory<T>,
    options?: GetOrSetOptions,
  ): Promise<CacheResult<T>> {
    return this.#lookup(key, factory as CacheFactory<unknown>, options).then((result) => {
      this.#deliver(key, result);
      return result;
    }) as Promise<CacheResult<T>>;
  }

  async get<T = unknown>(
    key: string,
    options?: { readonly signal?: AbortSignal },
  ): Promise<T | undefined> {
    const entry = await this.#readFresh(key, options?.signal);
    return entry?.value as T | undefined;
  }

  async has(key: string, options?: { readonly signal?: AbortSignal }): Promise<boolean> {
    return (await this.#readFresh(key, options?.signal)) !== undefined;
  }

  async set(key: string, value: unknown, options?: SetOptions): Promise<void> {
    this.#assertOpen();
    const storageKey = this.#storageKey(key);
    const settings = this.#settings(options, "cache.set()");
    throwIfAborted(options?.signal);
    await this.#store(key, storageKey, value, settings);
  }

  async delete(key: string, options?: { readonly signal?: AbortSignal }): Promise<void> {
    this.#assertOpen();
    const storageKey = this.#storageKey(key);
    throwIfAborted(options?.signal);
    this.#l1.delete(storageKey);
    if (this.#l2 === undefined) return;
    await this.#l2.remove(storageKey);
    await this.#announce(INVALIDATE_KEY, storageKey);
  }

  async clear(
    options: { readonly prefix?: string; readonly signal?: AbortSignal } = {},
  ): Promise<void> {
    this.#assertOpen();
    assertOptions(options);
    assertKnownKeys(options, ["prefix", "signal"], "cache.clear()");
    const { prefix = "", signal } = options;
    if (typeof prefix !== "string") {
      throw new TypeError(`Expected \`prefix\` to be a string, got ${typeof prefix}`);
    }
    throwIfAborted(signal);
    this.#l1.clear(prefix);
    if (this.#l2 === undefined) return;
    await this.#l2.clear(prefix);
    await this.#announce(INVALIDATE_PREFIX, prefix);
  }

  stats(): CacheStats {
    return {
      hits: { l1: this.#hitsL1, l2: this.#hitsL2 },
      misses: { l1: this.#missesL1, l2: this.#missesL2 },
      stale: this.#stale,
      errors: this.#errors,
      factoryCalls: this.#factoryCalls,
    };
  }

  async healthCheck(options?: { readonly signal?: AbortSignal }): Promise<CacheHealth> {
    throwIfAborted(options?.signal);
    if (this.#closed) return "unhealthy";
    if (this.#l2 === undefined) return "healthy";
    return (await this.#l2.ping()) ? "healthy" : "degraded";
  }

  on<Name extends keyof CacheEvents>(name: Name, listener: CacheEvents[Name]): () => void {
    return this.#events.on(name, listener);
  }

  off<Name extends keyof CacheEvents>(name: Name, listener: CacheEvents[Name]): void {
    this.#events.off(name, listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const reason = new CacheClosedError();
    for (const flight of this.#flights.values()) flight.abort(reason);
    this.#flights.clear();
    for (const wakers of this.#wakers.values()) for (const wake of wakers) wake();
    this.#wakers.clear();
    // disconnect, not quit: quit waits for a reply a dead Redis never sends.
    this.#subscriber?.disconnect();
    this.#l2?.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new CacheClosedError();
  }

  #storageKey(key: string): string {
    assertString(key, "key");
    return normalizeKey(key, this.#maxKeyLength);
  }

  #settings(options: GetOrSetOptions | undefined, where = "cache.getOrSet()"): Settings {
    if (options === undefined) return this.#defaults;
    assertOptions(options);
    assertKnownKeys(options, CALL_KEYS, where, CALL_FOREIGN_KEYS);
    const { ttlSeconds, staleIfErrorSeconds, timeoutMs } = options;
    assertPositiveNumber(ttlSeconds, "ttlSeconds", true);
    assertNonNegativeNumber(staleIfErrorSeconds, "staleIfErrorSeconds", true);
    assertPositiveNumber(timeoutMs, "timeoutMs", true);
    return {
      ttlMs: ttlSeconds === undefined ? this.#defaults.ttlMs : ttlSeconds * 1000,
      staleMs:
        staleIfErrorSeconds === undefined ? this.#defaults.staleMs : staleIfErrorSeconds * 1000,
      timeoutMs: timeoutMs ?? this.#defaults.timeoutMs,
    };
  }

  // Payloads are built only when someone listens: most caches have no
  // listener, and an L2 hit would otherwise allocate two events for nothing.
  #hit(key: string, tier: "l1" | "l2"): void {
    if (tier === "l1") this.#hitsL1++;
    else this.#hitsL2++;
    if (this.#events.hasListeners("hit")) this.#events.emit("hit", { key, tier });
  }

  #miss(key: string, tier: "l1" | "l2"): void {
    if (tier === "l1") this.#missesL1++;
    else this.#missesL2++;
    if (this.#events.hasListeners("miss")) this.#events.emit("miss", { key, tier });
  }

  #reportError(operation: CacheOperation, error: unknown): void {
    // Commands cut short by close() are not Redis failures.
    if (this.#closed) return;
    this.#errors++;
    this.#events.emit("error", { operation, error });
  }

  /**
   * The shared part of `getOrSet` and `getOrSetEntry`: validation, L1, then
   * joining (or starting) the key's flight. Not async, so an L2 hit costs no
   * promise beyond the flight's own; invalid arguments still reject.
   */
  #lookup(
    key: string,
    factory: CacheFactory<unknown>,
    options: GetOrSetOptions | undefined,
  ): Promise<CacheResult<unknown>> {
    try {
      this.#assertOpen();
      const storageKey = this.#storageKey(key);
      assertFunction(factory, "factory");
      const settings = this.#settings(options);
      const signal = options?.signal;
      throwIfAborted(signal);

      const now = Date.now();
      const entry = this.#l1.peek(storageKey, now);
      if (entry !== undefined && entry.freshUntil > now) {
        this.#hit(key, "l1");
        return Promise.resolve({ value: entry.value, stale: false, source: "l1" });
      }
      this.#miss(key, "l1");

      const flight =
        this.#flights.get(storageKey) ??
        this.#startFlight(key, storageKey, factory, settings, entry);
      return this.#join(flight, signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Counts and reports a stale answer once per caller that receives it. */
  #deliver(key: string, result: CacheResult<unknown>): unknown {
    if (result.stale) {
      this.#stale++;
      this.#events.emit("stale", { key });
    }
    return result.value;
  }

  /** A fresh value from L1, else from L2 (copied into L1), else `undefined`. */
  async #readFresh(key: string, signal: AbortSignal | undefined): Promise<StoredEntry | undefined> {
    this.#assertOpen();
    const storageKey = this.#storageKey(key);
    throwIfAborted(signal);
    const entry = this.#l1.peek(storageKey, Date.now());
    if (entry !== undefined && entry.freshUntil > Date.now()) {
      this.#hit(key, "l1");
      return entry;
    }
    this.#miss(key, "l1");
    if (this.#l2 === undefined) return undefined;
    const stored = await this.#l2.read(storageKey);
    if (stored !== undefined && stored.freshUntil > Date.now()) {
      this.#l1.set(storageKey, stored);
      this.#hit(key, "l2");
      return stored;
    }
    this.#miss(key, "l2");
    return undefined;
  }

  #serialize(key: string, value: unknown): string {
    let payload: unknown;
    try {
      payload = this.#serializer.serialize(value);
    } catch (cause) {
      throw new CacheSerializationError(key, value, { cause });
    }
    if (typeof payload !== "string") {
      throw new CacheSerializationError(key, value, {
        cause: new TypeError(`The serializer returned ${typeof payload}, not a string`),
      });
    }
    return payload;
  }

  async #store(key: string, storageKey: string, value: unknown, settings: Settings) {
    const payload = this.#serialize(key, value);
    const now = Date.now();
    const ttlMs = Math.max(1, Math.round(settings.ttlMs * (1 - Math.random() * this.#jitter)));
    const entry: StoredEntry = {
      value,
      freshUntil: now + ttlMs,
      staleUntil: now + ttlMs + settings.staleMs,
      size: payload.length,
    };
    this.#l1.set(storageKey, entry);
    if (this.#l2 === undefined) return;
    await this.#l2.write(storageKey, entry, payload);
    await this.#announce(INVALIDATE_KEY, storageKey);
  }

  #startFlight(
    key: string,
    storageKey: string,
    factory: CacheFactory<unknown>,
    settings: Settings,
    local: StoredEntry | undefined,
  ): Flight {
    const flight = new Flight(storageKey);
    this.#flights.set(storageKey, flight);
    flight.promise = this.#load(key, storageKey, factory, settings, flight, local);
    return flight;
  }

  /** Waits for `flight` on behalf of one caller, who may leave early through its signal. */
  #join(flight: Flight, signal: AbortSignal | undefined): Promise<CacheResult<unknown>> {
    flight.waiters++;
    if (signal === undefined) return flight.promise;
    return new Promise((resolve, reject) => {
      const remove = onAbort(signal, () => {
        flight.waiters--;
        // The last caller gone: nobody wants the value, so stop computing it.
        if (flight.waiters === 0 && !flight.answered) {
          flight.abort(abortReason(signal));
          this.#endFlight(flight);
        }
        reject(abortReason(signal));
      });
      flight.promise.then(
        (result) => {
          remove();
          resolve(result);
        },
        (error: unknown) => {
          remove();
          reject(error);
        },
      );
    });
  }

  async #load(
    key: string,
    storageKey: string,
    factory: CacheFactory<unknown>,
    settings: Settings,
    flight: Flight,
    local: StoredEntry | undefined,
  ): Promise<CacheResult<unknown>> {
    let stale: StaleCandidate | undefined = local && { entry: local, tier: "l1" };
    let lockToken: string | undefined;
    try {
      if (this.#l2 !== undefined) {
        const stored = await this.#l2.read(storageKey);
        flight.throwIfAborted();
        if (stored !== undefined && stored.freshUntil > Date.now()) {
          this.#l1.set(storageKey, stored);
          this.#hit(key, "l2");
          this.#endFlight(flight);
          return { value: stored.value, stale: false, source: "l2" };
        }
        this.#miss(key, "l2");
        if (stored !== undefined && (!stale || stored.freshUntil > stale.entry.freshUntil)) {
          stale = { entry: stored, tier: "l2" };
        }
        const outcome = await this.#acquireOrAwait(storageKey, flight.signal);
        if (outcome.kind === "value") {
          this.#l1.set(storageKey, outcome.entry);
          this.#endFlight(flight);
          return { value: outcome.entry.value, stale: false, source: "l2" };
        }
        lockToken = outcome.kind === "locked" ? outcome.token : undefined;
      }
    } catch (error) {
      this.#endFlight(flight);
      throw error;
    }
    return this.#runFactory(key, storageKey, factory, settings, flight, stale, lockToken);
  }

  /**
   * Takes the cross-process lock, or waits (bounded by `lockWaitMs`) for the
   * process that holds it to write the value. Redis failing, or the wait
   * running out, means computing without the lock.
   */
  async #acquireOrAwait(
    storageKey: string,
    signal: AbortSignal,
  ): Promise<
    { kind: "value"; entry: StoredEntry } | { kind: "locked"; token: string } | { kind: "unlocked" }
  > {
    const l2 = this.#l2 as RedisTier;
    const deadline = Date.now() + this.#lockWaitMs;
    for (;;) {
      const attempt = await l2.lock(storageKey);
      throwIfAborted(signal);
      if (attempt.state === "acquired") {
        // Another process may have written the value and released the lock between
        // our read and this lock: read again before computing, or it is computed twice.
        const written = await l2.read(storageKey);
        const fresh = written !== undefined && written.freshUntil > Date.now();
        if (fresh || signal.aborted) {
          await l2.unlock(storageKey, attempt.token);
          throwIfAborted(signal);
          return { kind: "value", entry: written as StoredEntry };
        }
        return { kind: "locked", token: attempt.token };
      }
      if (attempt.state === "failed") return { kind: "unlocked" };
      const remaining = deadline - Date.now();
      if (remaining <= 0) return { kind: "unlocked" };
      await this.#sleepUntilWoken(storageKey, Math.min(this.#lockPollMs, remaining), signal);
      const stored = await l2.read(storageKey);
      throwIfAborted(signal);
      if (stored !== undefined && stored.freshUntil > Date.now()) {
        return { kind: "value", entry: stored };
      }
    }
  }

  /** Sleeps `ms`, or less when an invalidation for the key arrives or the signal aborts. */
  #sleepUntilWoken(storageKey: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let wakers = this.#wakers.get(storageKey);
      if (wakers === undefined) {
        wakers = new Set();
        this.#wakers.set(storageKey, wakers);
      }
      const set = wakers;
      const wake = () => {
        clearTimeout(timer);
        removeAbort();
        set.delete(wake);
        if (set.size === 0 && this.#wakers.get(storageKey) === set) this.#wakers.delete(storageKey);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
      const removeAbort = onAbort(signal, wake);
    });
  }

  #runFactory(
    key: string,
    storageKey: string,
    factory: CacheFactory<unknown>,
    settings: Settings,
    flight: Flight,
    stale: StaleCandidate | undefined,
    lockToken: string | undefined,
  ): Promise<CacheResult<unknown>> {
    const signal = flight.signal;
    const staleResult = (): CacheResult<unknown> | undefined =>
      stale !== undefined && stale.entry.staleUntil > Date.now()
        ? { value: stale.entry.value, stale: true, source: stale.tier }
        : undefined;

    return new Promise<CacheResult<unknown>>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      if (settings.timeoutMs !== undefined) {
        const timeoutMs = settings.timeoutMs;
        timer = setTimeout(() => {
          const fallback = staleResult();
          if (fallback !== undefined) {
            // Soft timeout: answer with the stale value, let the refresh finish.
            flight.answered = true;
            resolve(fallback);
            return;
          }
          const error = new CacheTimeoutError(key, timeoutMs);
          flight.abort(error);
          this.#endFlight(flight);
          reject(error);
        }, timeoutMs);
      }

      this.#factoryCalls++;
      const work = (async () => {
        try {
          throwIfAborted(signal);
          const value = await factory({ signal, key });
          throwIfAborted(signal);
          await this.#store(key, storageKey, value, settings);
          return value;
        } finally {
          // Released after the value is written, so waiting processes find it.
          if (lockToken !== undefined) await this.#l2?.unlock(storageKey, lockToken);
          clearTimeout(timer);
          this.#endFlight(flight);
        }
      })();

      work.then(
        (value) => resolve({ value, stale: false, source: "origin" }),
        (error: unknown) => {
          const fallback = CacheSerializationError.isInstance(error) ? undefined : staleResult();
          if (fallback !== undefined) resolve(fallback);
          else reject(error);
        },
      );
    });
  }

  /** The flight's callers have (or are being given) their answer; later callers start afresh. */
  #endFlight(flight: Flight): void {
    flight.answered = true;
    if (this.#flights.get(flight.storageKey) === flight) this.#flights.delete(flight.storageKey);
  }

  async #announce(kind: string, argument: string): Promise<void> {
    if (this.#subscriber === undefined || this.#l2 === undefined) return;
    await this.#l2.publish(this.#channel, `${this.#instanceId}\n${kind}\n${argument}`);
  }

  #subscribe(redis: Redis): Redis {
    // ioredis's own auto-resubscribe issues SUBSCRIBE without a rejection
    // handler: a connection closing mid-resubscribe would be an unhandled
    // rejection in the user's process. Subscribing on every "ready" ourselves
    // keeps that failure handled and counted.
    const subscriber = redis.duplicate({ autoResubscribe: false });
    let connectedBefore = false;
    const subscribe = () => {
      // Invalidations published while we were disconnected are lost: drop
      // every L1 copy that may have missed one.
      if (connectedBefore) this.#l1.clear("");
      connectedBefore = true;
      subscriber.subscribe(this.#channel).catch((error: unknown) => {
        this.#reportError("subscribe", error);
      });
    };
    subscriber.on("ready", subscribe);
    // Connection errors surface as failed commands on the main client; the
    // listener only keeps ioredis from printing them as unhandled.
    subscriber.on("error", () => {});
    subscriber.on("message", (channel: string, message: string) => {
      if (channel !== this.#channel) return;
      // "<instance>\n<kind>\n<key or prefix>"; the key itself may hold newlines.
      const first = message.indexOf("\n");
      const second = message.indexOf("\n", first + 1);
      if (first < 0 || second < 0 || message.slice(0, first) === this.#instanceId) return;
      const kind = message.slice(first + 1, second);
      const argument = message.slice(second + 1);
      if (kind === INVALIDATE_KEY) {
        this.#l1.delete(argument);
        const wakers = this.#wakers.get(argument);
        if (wakers !== undefined) for (const wake of [...wakers]) wake();
      } else if (kind === INVALIDATE_PREFIX) {
        this.#l1.clear(argument);
      }
    });
    if (subscriber.status === "wait") {
      // a lazyConnect client: the subscriber must connect on its own
      subscriber.connect().catch((error: unknown) => this.#reportError("subscribe", error));
    }
    return subscriber;
  }
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
