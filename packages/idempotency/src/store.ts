import { EventSource, type IdempotencyEvents } from "@mcp-prod/internal";

export type { IdempotencyEvents };

/** What the handler of a call over a transactional store writes through: `idempotencyTransaction(extra)`. */
export type IdempotencyTransaction = {
  /** Runs one statement in the call's transaction, with node-postgres' `$1` placeholders. */
  query<Row = Record<string, unknown>>(
    text: string,
    values?: ReadonlyArray<unknown>,
  ): Promise<{ readonly rows: Row[]; readonly rowCount: number | null }>;
};

/** A record found under a key: a call still running, or a finished call's result. */
export type StoredRecord =
  | { readonly state: "inProgress"; readonly fingerprint: string }
  | { readonly state: "completed"; readonly fingerprint: string; readonly result: string };

/** The key is this call's: finish with `complete`, or `release` it on failure. */
export type Lease = {
  /** The transaction the handler writes through (transactional stores only). */
  readonly transaction?: IdempotencyTransaction | undefined;
  /**
   * Stores `result` (JSON) for `ttlMs`, or, with `undefined`, drops the record
   * (a transactional store still commits the handler's writes).
   */
  complete(result: string | undefined, ttlMs: number): Promise<void>;
  /** Drops the record (a transactional store rolls the handler's writes back). */
  release(): Promise<void>;
};

/** The answer of {@link IdempotencyStore.claim}. */
export type Claim =
  | { readonly status: "acquired"; readonly lease: Lease }
  | { readonly status: "found"; readonly record: StoredRecord };

/** What {@link IdempotencyStore.claim} is asked. */
export type ClaimRequest = {
  /** The scoped key: a sha256 digest, or for a local store the unambiguous text it is a digest of. */
  readonly key: string;
  /** The sha256 digest of the call's canonical arguments (for a local store, the canonical JSON itself). */
  readonly fingerprint: string;
  /** How long the in-progress record holds the key, in ms. */
  readonly inProgressTtlMs: number;
  /** How long a store that blocks on a running duplicate may wait, in ms. */
  readonly waitMs: number;
  readonly signal?: AbortSignal | undefined;
};

/** Lets the wrapper report on the store's events. */
export const REPORT: unique symbol = Symbol("mcp-prod.idempotency.report");

/**
 * Where idempotency records live: made by `createMemoryStore()`,
 * `createRedisStore()` or `createPostgresStore()`. Calls that use a store
 * report on it: `on("replayed" | "waited" | "mismatch" | "inProgress" |
 * "notStored" | "storeError", listener)` (see {@link IdempotencyEvents}), the
 * events @mcp-prod/telemetry observes.
 */
export abstract class IdempotencyStore extends EventSource<IdempotencyEvents> {
  /** Names the store in events and metrics. */
  abstract readonly name: string;
  /** Whether the handler runs in the store's transaction (`createPostgresStore({ transactional: true })`). */
  readonly transactional: boolean = false;
  /**
   * Whether the store lives in this process and answers at once: its calls
   * need no deadline, and it keeps keys and arguments as they are rather than
   * as digests.
   */
  readonly local: boolean = false;

  /**
   * Claims `key` for a call: `acquired` with a lease when the key is free
   * (or its record expired), `found` with the record otherwise.
   */
  abstract claim(request: ClaimRequest): Promise<Claim>;

  /**
   * Waits until the record of `key` may have changed, at most `timeoutMs`
   * (`attempt` counts the waits of one call, for a polling store's backoff).
   */
  abstract wait(
    key: string,
    timeoutMs: number,
    attempt: number,
    signal: AbortSignal | undefined,
  ): Promise<void>;

  /** A transaction with no record, for a call without a key (transactional stores only). */
  begin(_signal: AbortSignal | undefined): Promise<Lease> {
    return Promise.resolve({
      complete: () => Promise.resolve(),
      release: () => Promise.resolve(),
    });
  }

  /** Drops the store's listeners and timers and refuses later calls; the clients passed in stay open. */
  abstract close(): Promise<void>;

  /** @internal Emits one of the store's events for a call that used it. */
  [REPORT]<Name extends keyof IdempotencyEvents>(
    name: Name,
    ...args: Parameters<IdempotencyEvents[Name]>
  ): void {
    this.emit(name, ...args);
  }

  /** @internal Whether anyone listens to `name`. */
  listens(name: keyof IdempotencyEvents): boolean {
    return this.hasListeners(name);
  }
}
