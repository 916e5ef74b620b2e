import { LRUCache } from "lru-cache";

/** One cached value with its absolute expiry times (epoch ms), the same in both tiers. */
export type StoredEntry = {
  readonly value: unknown;
  /** Until this instant the value is fresh. */
  readonly freshUntil: number;
  /** Until this instant an expired value may still be served when the factory fails. */
  readonly staleUntil: number;
  /** Serialized length, counted against the byte budget. */
  readonly size: number;
};

export type MemoryTierOptions = {
  readonly maxEntries: number;
  readonly maxBytes: number | undefined;
};

/**
 * The in-process tier: a bounded LRU (lru-cache) by entry count and optionally
 * by serialized bytes. Expiry is checked by the caller against `freshUntil`
 * rather than by lru-cache's own TTL, because an expired entry must stay
 * around for its stale-if-error window.
 */
export class MemoryTier {
  readonly #lru: LRUCache<string, StoredEntry>;

  constructor({ maxEntries, maxBytes }: MemoryTierOptions) {
    this.#lru =
      maxBytes === undefined
        ? new LRUCache({ max: maxEntries })
        : new LRUCache({ max: maxEntries, maxSize: maxBytes, sizeCalculation: sizeOf });
  }

  /** The entry, fresh or stale; one past its stale window is dropped and not returned. */
  peek(key: string, now: number): StoredEntry | undefined {
    const entry = this.#lru.get(key);
    if (entry === undefined) return undefined;
    if (entry.staleUntil <= now && entry.freshUntil <= now) {
      this.#lru.delete(key);
      return undefined;
    }
    return entry;
  }

  /** The raw lookup of the hot path: a map read and a recency update. */
  get(key: string): StoredEntry | undefined {
    return this.#lru.get(key);
  }

  set(key: string, entry: StoredEntry): void {
    this.#lru.set(key, entry);
  }

  delete(key: string): void {
    this.#lru.delete(key);
  }

  /** Drops every key starting with `prefix` (all keys for an empty prefix). */
  clear(prefix: string): void {
    if (prefix === "") {
      this.#lru.clear();
      return;
    }
    for (const key of [...this.#lru.keys()]) {
      if (key.startsWith(prefix)) this.#lru.delete(key);
    }
  }

  get size(): number {
    return this.#lru.size;
  }

  get bytes(): number {
    return this.#lru.calculatedSize;
  }
}

function sizeOf(entry: StoredEntry): number {
  return Math.max(1, entry.size);
}
