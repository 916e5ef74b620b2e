import {
  assertKnownKeys,
  assertOptions,
  assertString,
  delay,
  optionKeys,
} from "@mcp-prod/internal";
import { IdempotencyError } from "./errors.ts";
import { type Claim, type ClaimRequest, IdempotencyStore, type StoredRecord } from "./store.ts";

/** Options of {@link createMemoryStore}. */
export type MemoryStoreOptions = {
  /**
   * Names the store in events and metrics.
   * @default "memory"
   */
  readonly name?: string;
};

const MEMORY_STORE_KEYS = optionKeys<MemoryStoreOptions>({ name: true });

type Entry = {
  state: "inProgress" | "completed";
  fingerprint: string;
  result: string;
  expiresAt: number;
  readonly token: object;
};

class MemoryStore extends IdempotencyStore {
  readonly name: string;
  override readonly local = true;
  readonly #entries = new Map<string, Entry>();
  readonly #waiters = new Map<string, Set<() => void>>();
  #sweepAt = 1024;
  #closed = false;

  constructor(name: string) {
    super();
    this.name = name;
  }

  claim(request: ClaimRequest): Promise<Claim> {
    if (this.#closed) return Promise.reject(closed(this.name));
    const { key, fingerprint, inProgressTtlMs } = request;
    const now = Date.now();
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.expiresAt > now) {
      const record: StoredRecord =
        entry.state === "completed"
          ? { state: "completed", fingerprint: entry.fingerprint, result: entry.result }
          : { state: "inProgress", fingerprint: entry.fingerprint };
      return Promise.resolve({ status: "found", record });
    }
    if (this.#entries.size >= this.#sweepAt) this.#sweep(now);
    const token = {};
    this.#entries.set(key, {
      state: "inProgress",
      fingerprint,
      result: "",
      expiresAt: now + inProgressTtlMs,
      token,
    });
    const own = () => {
      const current = this.#entries.get(key);
      return current?.token === token ? current : undefined;
    };
    return Promise.resolve({
      status: "acquired",
      lease: {
        complete: (result, ttlMs) => {
          const current = own();
          if (current !== undefined) {
            if (result === undefined) this.#entries.delete(key);
            else {
              current.state = "completed";
              current.result = result;
              current.expiresAt = Date.now() + ttlMs;
            }
          }
          this.#wake(key);
          return Promise.resolve();
        },
        release: () => {
          if (own() !== undefined) this.#entries.delete(key);
          this.#wake(key);
          return Promise.resolve();
        },
      },
    });
  }

  async wait(key: string, timeoutMs: number, _attempt: number, signal: AbortSignal | undefined) {
    if (this.#closed) throw closed(this.name);
    // The record may expire rather than change: wake at its expiry at the latest.
    const entry = this.#entries.get(key);
    const until = Math.min(timeoutMs, Math.max(0, (entry?.expiresAt ?? 0) - Date.now()));
    let waiters = this.#waiters.get(key);
    if (waiters === undefined) {
      waiters = new Set();
      this.#waiters.set(key, waiters);
    }
    const controller = new AbortController();
    const wake = () => controller.abort();
    waiters.add(wake);
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await delay(until, controller.signal).catch(() => undefined);
      signal?.throwIfAborted();
    } finally {
      signal?.removeEventListener("abort", onAbort);
      waiters.delete(wake);
      if (waiters.size === 0) this.#waiters.delete(key);
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#entries.clear();
    for (const waiters of this.#waiters.values()) for (const wake of waiters) wake();
    this.#waiters.clear();
    this.removeAllListeners();
    return Promise.resolve();
  }

  #wake(key: string): void {
    const waiters = this.#waiters.get(key);
    if (waiters !== undefined) for (const wake of [...waiters]) wake();
  }

  #sweep(now: number): void {
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
    this.#sweepAt = Math.max(1024, this.#entries.size * 2);
  }
}

function closed(name: string): IdempotencyError {
  return new IdempotencyError("EIDEMPOTENCYCLOSED", `Idempotency store "${name}" was closed`);
}

/**
 * A store in this process's memory: duplicates are recognised within one
 * process only (a stdio server, a single replica). Expired records are swept
 * as new ones arrive.
 *
 * @example
 * ```ts
 * import { createMemoryStore, withIdempotency } from "@mcp-prod/idempotency";
 *
 * const store = createMemoryStore();
 * server.registerTool("send_invoice", config, withIdempotency(sendInvoice, { store }));
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): IdempotencyStore {
  assertOptions(options);
  assertKnownKeys(options, MEMORY_STORE_KEYS, "createMemoryStore()");
  assertString(options.name, "name", true);
  return new MemoryStore(options.name ?? "memory");
}

export { closed as closedStoreError };
