import {
  assertFunction,
  assertKnownKeys,
  assertOptions,
  assertString,
  type CacheOperation,
  type CacheTier,
  EventSource,
  optionKeys,
  throwIfAborted,
} from "@mcp-prod/internal";
import { CacheClosedError, CacheSerializationError } from "./errors.ts";
import { type Flight, Flights, type StaleCandidate } from "./flight.ts";
import { Invalidation } from "./invalidation.ts";
import { normalizeKey } from "./keys.ts";
import { CrossProcessLock } from "./lock.ts";
import { MemoryTier, type StoredEntry } from "./memory-tier.ts";
import {
  type CacheOptions,
  callSettings,
  type GetOrSetOptions,
  resolveCacheOptions,
  type SetOptions,
  type Settings,
} from "./options.ts";
import { RedisTier } from "./redis-tier.ts";
import type { Serializer } from "./serializer.ts";
import type {
  Cache,
  CacheEvents,
  CacheFactory,
  CacheHealth,
  CacheResult,
  CacheStats,
} from "./types.ts";

/** The option names of `cache.clear()`. */
const CLEAR_KEYS = optionKeys<{ readonly prefix?: string; readonly signal?: AbortSignal }>({
  prefix: true,
  signal: true,
});

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

class TwoTierCache extends EventSource<CacheEvents> implements Cache {
  readonly name: string;
  readonly #l1: MemoryTier;
  readonly #l2: RedisTier | undefined;
  readonly #lock: CrossProcessLock | undefined;
  readonly #invalidation: Invalidation | undefined;
  readonly #serializer: Serializer;
  readonly #defaults: Settings;
  readonly #jitter: number;
  readonly #maxKeyLength: number;
  readonly #flights = new Flights();
  #closed = false;
  #hitsL1 = 0;
  #hitsL2 = 0;
  #missesL1 = 0;
  #missesL2 = 0;
  #stale = 0;
  #errors = 0;

  constructor(options: CacheOptions = {}) {
    super();
    const settings = resolveCacheOptions(options);
    const { redis, prefix, serializer } = settings;
    this.name = settings.name;
    this.#serializer = serializer;
    this.#defaults = settings.defaults;
    this.#jitter = settings.jitter;
    this.#maxKeyLength = settings.maxKeyLength;
    this.#l1 = new MemoryTier({ maxEntries: settings.maxEntries, maxBytes: settings.maxBytes });
    const reportError = (operation: CacheOperation, error: unknown) =>
      this.#reportError(operation, error);
    if (redis !== undefined) {
      const l2 = new RedisTier({
        redis,
        prefix,
        commandTimeoutMs: settings.redisTimeoutMs,
        serializer,
        lockTtlMs: settings.lockTtlMs,
        onError: reportError,
      });
      const lock = new CrossProcessLock(l2, settings.lockWaitMs, settings.lockPollMs);
      this.#l2 = l2;
      this.#lock = lock;
      if (settings.invalidation) {
        this.#invalidation = new Invalidation({
          redis,
          prefix,
          l1: this.#l1,
          l2,
          lock,
          reportError,
        });
      }
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
        if (this.hasListeners("hit")) this.emit("hit", { key, tier: "l1" });
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
    await this.#invalidation?.announceKey(storageKey);
  }

  async clear(
    options: { readonly prefix?: string; readonly signal?: AbortSignal } = {},
  ): Promise<void> {
    this.#assertOpen();
    assertOptions(options);
    assertKnownKeys(options, CLEAR_KEYS, "cache.clear()");
    const { prefix = "", signal } = options;
    if (typeof prefix !== "string") {
      throw new TypeError(`Expected \`prefix\` to be a string, got ${typeof prefix}`);
    }
    throwIfAborted(signal);
    this.#l1.clear(prefix);
    if (this.#l2 === undefined) return;
    await this.#l2.clear(prefix);
    await this.#invalidation?.announcePrefix(prefix);
  }

  stats(): CacheStats {
    return {
      hits: { l1: this.#hitsL1, l2: this.#hitsL2 },
      misses: { l1: this.#missesL1, l2: this.#missesL2 },
      stale: this.#stale,
      errors: this.#errors,
      factoryCalls: this.#flights.factoryCalls,
    };
  }

  async healthCheck(options?: { readonly signal?: AbortSignal }): Promise<CacheHealth> {
    throwIfAborted(options?.signal);
    if (this.#closed) return "unhealthy";
    if (this.#l2 === undefined) return "healthy";
    return (await this.#l2.ping()) ? "healthy" : "degraded";
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#flights.abortAll(new CacheClosedError());
    this.#lock?.wakeAll();
    this.#invalidation?.close();
    this.#l2?.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new CacheClosedError();
  }

  #storageKey(key: string): string {
    assertString(key, "key");
    return normalizeKey(key, this.#maxKeyLength);
  }

  #settings(options: GetOrSetOptions | undefined, where?: string): Settings {
    return callSettings(this.#defaults, options, where);
  }

  // Payloads are built only when someone listens: most caches have no
  // listener, and an L2 hit would otherwise allocate two events for nothing.
  #hit(key: string, tier: CacheTier): void {
    if (tier === "l1") this.#hitsL1++;
    else this.#hitsL2++;
    if (this.hasListeners("hit")) this.emit("hit", { key, tier });
  }

  #miss(key: string, tier: CacheTier): void {
    if (tier === "l1") this.#missesL1++;
    else this.#missesL2++;
    if (this.hasListeners("miss")) this.emit("miss", { key, tier });
  }

  #reportError(operation: CacheOperation, error: unknown): void {
    // Commands cut short by close() are not Redis failures.
    if (this.#closed) return;
    this.#errors++;
    this.emit("error", { operation, error });
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

      let flight = this.#flights.get(storageKey);
      if (flight === undefined) {
        flight = this.#flights.start(storageKey);
        flight.promise = this.#load(key, storageKey, factory, settings, flight, entry);
      }
      return this.#flights.join(flight, signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Counts and reports a stale answer once per caller that receives it. */
  #deliver(key: string, result: CacheResult<unknown>): unknown {
    if (result.stale) {
      this.#stale++;
      this.emit("stale", { key });
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
    await this.#invalidation?.announceKey(storageKey);
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
          this.#flights.end(flight);
          return { value: stored.value, stale: false, source: "l2" };
        }
        this.#miss(key, "l2");
        if (stored !== undefined && (!stale || stored.freshUntil > stale.entry.freshUntil)) {
          stale = { entry: stored, tier: "l2" };
        }
        const outcome = await (this.#lock as CrossProcessLock).acquireOrAwait(
          storageKey,
          flight.signal,
        );
        if (outcome.kind === "value") {
          this.#l1.set(storageKey, outcome.entry);
          this.#flights.end(flight);
          return { value: outcome.entry.value, stale: false, source: "l2" };
        }
        lockToken = outcome.kind === "locked" ? outcome.token : undefined;
      }
    } catch (error) {
      this.#flights.end(flight);
      throw error;
    }
    const l2 = this.#l2;
    const token = lockToken;
    const unlock =
      token === undefined || l2 === undefined ? undefined : () => l2.unlock(storageKey, token);
    const store = (value: unknown) => this.#store(key, storageKey, value, settings);
    return this.#flights.runFactory(flight, key, factory, settings, stale, store, unlock);
  }
}
