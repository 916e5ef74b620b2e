import type { Clock } from "./clock.ts";
import type { Params } from "./json-rpc.ts";

/** A client session's own session on one backend with sessions. */
export type BackendRef = { readonly id: string; readonly version: string };

/** What every replica knows of a client session. */
export type SessionRecord = {
  /** Digest of the identity the session belongs to. */
  readonly identity: string;
  readonly protocolVersion: string;
  readonly capabilities: Params;
  readonly clientInfo: Params;
  /** Backend label → the client's session on it. */
  backends: Record<string, BackendRef>;
  logLevel: string | undefined;
  /** Resource URIs (as the client named them) the client subscribed to. */
  subscriptions: string[];
};

/** Why a new session was refused: the replica's limit, or the identity's share of it. */
export type CreateOutcome = "created" | "full" | "identityFull";

export type SessionLimits = {
  readonly max: number;
  readonly perIdentity: number;
  readonly ttlMs: number;
};

/**
 * Where session records live: in this process, or in Redis for every
 * replica. A record lives `ttlMs` past its last use and no longer.
 */
export interface SessionStore {
  /** Whether other replicas see these records. */
  readonly shared: boolean;
  create(key: string, record: SessionRecord, limits: SessionLimits): Promise<CreateOutcome>;
  load(key: string): Promise<SessionRecord | undefined>;
  /**
   * Sets the session's backend `label` to `next` if it is `expected`
   * (undefined: none yet); resolves with what is stored afterwards.
   */
  swapBackend(
    key: string,
    label: string,
    expected: string | undefined,
    next: BackendRef,
  ): Promise<BackendRef | undefined>;
  update(
    key: string,
    change: { logLevel?: string; subscribe?: string; unsubscribe?: string },
  ): Promise<void>;
  /**
   * Writes `record` back if the store lost it (Redis restarted without its
   * data) while this replica still serves the session.
   */
  restore(key: string, record: SessionRecord, ttlMs: number): Promise<void>;
  /** Extends the record's life; may be skipped while the store is unreachable. */
  touch(key: string, identity: string, ttlMs: number): void;
  delete(key: string, identity: string): Promise<void>;
  /** Forgets expired records (the memory store; Redis expires its own). */
  sweep(): void;
  close(): Promise<void>;
}

/** The store of a gateway without Redis: this process's memory. */
export class MemorySessionStore implements SessionStore {
  readonly shared = false;
  readonly #records = new Map<string, { record: SessionRecord; expiresAt: number }>();
  readonly #perIdentity = new Map<string, number>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async create(key: string, record: SessionRecord, limits: SessionLimits): Promise<CreateOutcome> {
    this.sweep();
    if (this.#records.size >= limits.max) return "full";
    const owned = this.#perIdentity.get(record.identity) ?? 0;
    if (owned >= limits.perIdentity) return "identityFull";
    this.#records.set(key, { record, expiresAt: this.#clock.now() + limits.ttlMs });
    this.#perIdentity.set(record.identity, owned + 1);
    return "created";
  }

  async load(key: string): Promise<SessionRecord | undefined> {
    const entry = this.#records.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#clock.now()) {
      this.#forget(key);
      return undefined;
    }
    return entry.record;
  }

  async swapBackend(
    key: string,
    label: string,
    expected: string | undefined,
    next: BackendRef,
  ): Promise<BackendRef | undefined> {
    const record = this.#records.get(key)?.record;
    if (!record) return undefined;
    if (record.backends[label]?.id === expected)
      record.backends = { ...record.backends, [label]: next };
    return record.backends[label];
  }

  async update(
    key: string,
    change: { logLevel?: string; subscribe?: string; unsubscribe?: string },
  ): Promise<void> {
    const record = this.#records.get(key)?.record;
    if (!record) return;
    if (change.logLevel !== undefined) record.logLevel = change.logLevel;
    if (change.subscribe !== undefined && !record.subscriptions.includes(change.subscribe))
      record.subscriptions = [...record.subscriptions, change.subscribe];
    if (change.unsubscribe !== undefined)
      record.subscriptions = record.subscriptions.filter((uri) => uri !== change.unsubscribe);
  }

  async restore(): Promise<void> {
    // This process's memory never loses what it holds.
  }

  touch(key: string, _identity: string, ttlMs: number): void {
    const entry = this.#records.get(key);
    if (entry) entry.expiresAt = this.#clock.now() + ttlMs;
  }

  async delete(key: string): Promise<void> {
    this.#forget(key);
  }

  sweep(): void {
    const now = this.#clock.now();
    for (const [key, entry] of this.#records) if (entry.expiresAt <= now) this.#forget(key);
  }

  #forget(key: string): void {
    const entry = this.#records.get(key);
    if (!entry) return;
    this.#records.delete(key);
    const owned = (this.#perIdentity.get(entry.record.identity) ?? 1) - 1;
    if (owned <= 0) this.#perIdentity.delete(entry.record.identity);
    else this.#perIdentity.set(entry.record.identity, owned);
  }

  async close(): Promise<void> {
    this.#records.clear();
    this.#perIdentity.clear();
  }
}
