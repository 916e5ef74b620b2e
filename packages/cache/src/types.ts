import type { CacheEvents, CacheOperation } from "@mcp-prod/internal";
import type { GetOrSetOptions, SetOptions } from "./options.ts";

export type { CacheEvents, CacheOperation };

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
