import type { Caller } from "./auth.ts";
import type { Bus } from "./bus.ts";
import type { ClientStream } from "./client-streams.ts";
import type { Clock } from "./clock.ts";
import type { RequestId } from "./json-rpc.ts";
import type { SessionCodec } from "./session-codec.ts";
import type { BackendRef, CreateOutcome, SessionRecord, SessionStore } from "./session-store.ts";
import type { HeldStream } from "./upstream.ts";

/** Something running for a session that can be stopped: a call in flight. */
export type Stoppable = { abort(reason: unknown): void };

/**
 * A session as this replica holds it: the shared record (read once, then
 * kept fresh by the bus), and what lives only here: the client's GET stream
 * when this replica holds it, the backend streams held for it, its calls in
 * flight here.
 */
export class LocalSession {
  /** The id the client holds. */
  readonly id: string;
  /** The record's key. */
  readonly key: string;
  readonly identity: string;
  record: SessionRecord;
  /** The client's GET stream, when this replica holds it. */
  stream: ClientStream | undefined;
  /** Who opened the GET stream: the identity headers of the backend streams held for it. */
  streamCaller: Caller | undefined;
  /** Backend label → the backend session's GET stream held for the client's. */
  readonly held = new Map<string, { readonly ref: BackendRef; readonly stream: HeldStream }>();
  /** JSON of a request id → the call running it here. */
  readonly calls = new Map<string, Stoppable>();
  lastSeenAt: number;
  loadedAt: number;
  touchedAt: number;
  ended = false;

  constructor(id: string, key: string, record: SessionRecord, now: number) {
    this.id = id;
    this.key = key;
    this.identity = record.identity;
    this.record = record;
    this.lastSeenAt = now;
    this.loadedAt = now;
    this.touchedAt = now;
  }

  /** Whether anything here still uses it (then it is never evicted from the cache). */
  get busy(): boolean {
    return this.stream !== undefined || this.calls.size > 0;
  }

  /** Stops the call `id` running here; false when none is. */
  cancel(id: RequestId, reason: unknown): boolean {
    const call = this.calls.get(JSON.stringify(id));
    call?.abort(reason);
    return call !== undefined;
  }
}

export type SessionsSettings = {
  readonly store: SessionStore;
  readonly codec: SessionCodec;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly idleMs: number;
  readonly max: number;
  readonly maxPerIdentity: number;
  /** A session ended: `owner` is true on the replica that ended it (it ends its backend sessions). */
  readonly onEnd: (session: LocalSession, owner: boolean) => Promise<void> | undefined;
};

/** Why a session cannot be served: unknown (404), or its record cannot be read now (503). */
export type Unresolved = "notFound" | "unavailable";

// A cached record is read again in the background this often, in case a bus message was missed.
const REVALIDATE_MS = 10_000;

/**
 * The sessions every replica serves: records in the store, each cached here
 * once read, so that serving a known session costs no store round trip.
 */
export class Sessions {
  readonly #settings: SessionsSettings;
  readonly #byKey = new Map<string, LocalSession>();

  constructor(settings: SessionsSettings) {
    this.#settings = settings;
  }

  /** Sessions cached on this replica. */
  get size(): number {
    return this.#byKey.size;
  }

  local(key: string): LocalSession | undefined {
    return this.#byKey.get(key);
  }

  values(): IterableIterator<LocalSession> {
    return this.#byKey.values();
  }

  /** A new session for `record.identity`; a refusal when the replica or the identity is at its limit. */
  async create(record: SessionRecord): Promise<LocalSession | Exclude<CreateOutcome, "created">> {
    const { codec, store, idleMs, max, maxPerIdentity, clock } = this.#settings;
    const { id, key } = codec.issue(record.identity);
    const outcome = await store.create(key, record, {
      max,
      perIdentity: maxPerIdentity,
      ttlMs: idleMs,
    });
    if (outcome !== "created") return outcome;
    return this.#cache(new LocalSession(id, key, record, clock.now()));
  }

  /**
   * The session `id` names, if it belongs to `identity`. A forged, altered,
   * expired or foreign id is not found; a record that cannot be read now is
   * unavailable (a known session is served from the cache meanwhile).
   */
  async resolve(id: string, identity: string): Promise<LocalSession | Unresolved> {
    const { codec, store, clock, idleMs } = this.#settings;
    const claims = codec.open(id);
    if (!claims || (codec.sealed && claims.identity !== identity)) return "notFound";
    const now = clock.now();
    const cached = this.#byKey.get(claims.key);
    if (cached && !cached.ended) {
      if (cached.identity !== identity) return "notFound";
      cached.lastSeenAt = now;
      if (now - cached.touchedAt > idleMs / 10) {
        cached.touchedAt = now;
        store.touch(cached.key, cached.identity, idleMs);
      }
      if (store.shared && now - cached.loadedAt > REVALIDATE_MS) {
        cached.loadedAt = now;
        void this.refresh(cached.key);
      }
      return cached;
    }
    let record: SessionRecord | undefined;
    try {
      record = await store.load(claims.key);
    } catch {
      return "unavailable";
    }
    if (!record || record.identity !== identity) return "notFound";
    store.touch(claims.key, identity, idleMs);
    // Two requests may have read it at once: keep the first copy.
    const raced = this.#byKey.get(claims.key);
    if (raced && !raced.ended) return raced;
    return this.#cache(new LocalSession(id, claims.key, record, now));
  }

  /** Reads the record again (another replica changed it); ends the local copy when it is gone. */
  async refresh(key: string): Promise<LocalSession | undefined> {
    const session = this.#byKey.get(key);
    if (!session) return undefined;
    let record: SessionRecord | undefined;
    try {
      record = await this.#settings.store.load(key);
    } catch {
      return session;
    }
    if (!record) {
      this.#end(session, false);
      return undefined;
    }
    session.record = record;
    session.loadedAt = this.#settings.clock.now();
    return session;
  }

  /**
   * Redis is back after a break: records it lost are written back from the
   * sessions this replica still serves, then every cached record is read again
   * at its next use (bus messages may have been missed meanwhile).
   */
  async recover(): Promise<void> {
    const { store, idleMs } = this.#settings;
    await Promise.allSettled(
      [...this.#byKey.values()].map((session) =>
        store.restore(session.key, session.record, idleMs),
      ),
    );
    for (const session of this.#byKey.values()) session.loadedAt = Number.NEGATIVE_INFINITY;
  }

  /** Ends `session` on every replica (the client's DELETE). */
  async end(session: LocalSession): Promise<void> {
    await this.#settings.store.delete(session.key, session.identity);
    this.#settings.bus.publish({ type: "ended", session: session.key });
    this.#end(session, true);
  }

  /** Another replica ended the session: forget it here. */
  forget(key: string): void {
    const session = this.#byKey.get(key);
    if (session) this.#end(session, false);
  }

  /** Stores a backend session for `session` unless another replica stored one first; the one stored. */
  async swapBackend(
    session: LocalSession,
    label: string,
    expected: string | undefined,
    next: BackendRef,
  ): Promise<BackendRef | undefined> {
    let stored: BackendRef | undefined;
    try {
      stored = await this.#settings.store.swapBackend(session.key, label, expected, next);
    } catch {
      // The store is unreachable: this replica keeps the backend session to itself meanwhile.
      stored = next;
    }
    if (stored) session.record.backends = { ...session.record.backends, [label]: stored };
    if (stored?.id === next.id)
      this.#settings.bus.publish({ type: "changed", session: session.key });
    return stored;
  }

  async update(
    session: LocalSession,
    change: { logLevel?: string; subscribe?: string; unsubscribe?: string },
  ): Promise<void> {
    const record = session.record;
    if (change.logLevel !== undefined) record.logLevel = change.logLevel;
    if (change.subscribe !== undefined && !record.subscriptions.includes(change.subscribe))
      record.subscriptions = [...record.subscriptions, change.subscribe];
    if (change.unsubscribe !== undefined)
      record.subscriptions = record.subscriptions.filter((uri) => uri !== change.unsubscribe);
    // Kept here even when the store is unreachable: the backend already has it.
    await this.#settings.store.update(session.key, change).catch(() => {});
    this.#settings.bus.publish({ type: "changed", session: session.key });
  }

  /**
   * Drops sessions unused here for `idleMs`; those whose record expired
   * everywhere are ended (their backend sessions too).
   */
  async sweep(): Promise<void> {
    const { clock, idleMs, store } = this.#settings;
    store.sweep();
    const cutoff = clock.now() - idleMs;
    for (const session of [...this.#byKey.values()]) {
      if (session.lastSeenAt > cutoff || session.busy) continue;
      let record: SessionRecord | undefined;
      try {
        record = await store.load(session.key);
      } catch {
        continue;
      }
      if (record) this.#byKey.delete(session.key);
      else this.#end(session, true);
    }
  }

  /**
   * Ends every local session's streams and calls (the gateway closes). With
   * a shared store the records stay for the other replicas; without one the
   * sessions end here for good (`owner`), their backend sessions too.
   */
  async closeAll(): Promise<void> {
    const owner = !this.#settings.store.shared;
    await Promise.allSettled([...this.#byKey.values()].map((session) => this.#end(session, owner)));
  }

  #cache(session: LocalSession): LocalSession {
    this.#byKey.set(session.key, session);
    if (this.#byKey.size > this.#settings.max) {
      // Over the cache's bound: forget the oldest idle copies (their records stay in the store).
      for (const [key, candidate] of this.#byKey) {
        if (this.#byKey.size <= this.#settings.max) break;
        if (!candidate.busy && candidate !== session) this.#byKey.delete(key);
      }
    }
    return session;
  }

  #end(session: LocalSession, owner: boolean): Promise<void> | undefined {
    if (session.ended) return undefined;
    session.ended = true;
    if (this.#byKey.get(session.key) === session) this.#byKey.delete(session.key);
    return this.#settings.onEnd(session, owner);
  }
}
