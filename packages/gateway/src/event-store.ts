import type { Clock } from "./clock.ts";

/** One event of a client stream, as stored for a resumption. */
export type StoredEvent = { readonly seq: number; readonly text: string };

/**
 * What a client that lost its SSE stream needs to resume it with
 * `Last-Event-ID`: the events of each stream of a session, bounded in number
 * and age. Appends never wait (nothing per call waits on the store); a read
 * that cannot reach the store resolves undefined.
 */
export interface EventStore {
  append(session: string, stream: string, seq: number, text: string): void;
  read(session: string, stream: string): Promise<StoredEvent[] | undefined>;
  drop(session: string): void;
  /** Appends made by this replica, so a stream resumed here wakes at once. */
  onAppend(listener: (session: string, stream: string) => void): () => void;
  close(): Promise<void>;
}

export type EventStoreLimits = { readonly maxEvents: number; readonly maxAgeMs: number };

type Entry = {
  readonly stream: string;
  readonly seq: number;
  readonly text: string;
  readonly at: number;
};

/** Listeners of local appends, shared by both stores. */
export class AppendListeners {
  readonly #listeners = new Set<(session: string, stream: string) => void>();
  add(listener: (session: string, stream: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  emit(session: string, stream: string): void {
    for (const listener of this.#listeners) listener(session, stream);
  }
  clear(): void {
    this.#listeners.clear();
  }
}

/** The events of a gateway without Redis, in this process's memory. */
export class MemoryEventStore implements EventStore {
  readonly #sessions = new Map<string, Entry[]>();
  readonly #limits: EventStoreLimits;
  readonly #clock: Clock;
  readonly #listeners = new AppendListeners();

  constructor(limits: EventStoreLimits, clock: Clock) {
    this.#limits = limits;
    this.#clock = clock;
  }

  append(session: string, stream: string, seq: number, text: string): void {
    let entries = this.#sessions.get(session);
    if (!entries) {
      entries = [];
      this.#sessions.set(session, entries);
    }
    const now = this.#clock.now();
    entries.push({ stream, seq, text, at: now });
    const cutoff = now - this.#limits.maxAgeMs;
    let drop = Math.max(0, entries.length - this.#limits.maxEvents);
    while (drop < entries.length && (entries[drop] as Entry).at < cutoff) drop += 1;
    if (drop > 0) entries.splice(0, drop);
    this.#listeners.emit(session, stream);
  }

  async read(session: string, stream: string): Promise<StoredEvent[]> {
    const cutoff = this.#clock.now() - this.#limits.maxAgeMs;
    return (this.#sessions.get(session) ?? [])
      .filter((entry) => entry.stream === stream && entry.at >= cutoff)
      .map(({ seq, text }) => ({ seq, text }));
  }

  drop(session: string): void {
    this.#sessions.delete(session);
  }

  onAppend(listener: (session: string, stream: string) => void): () => void {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    this.#sessions.clear();
    this.#listeners.clear();
  }
}
