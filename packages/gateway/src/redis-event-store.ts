import type { Clock } from "./clock.ts";
import {
  AppendListeners,
  type EventStore,
  type EventStoreLimits,
  type StoredEvent,
} from "./event-store.ts";
import type { RedisGate } from "./redis-gate.ts";

/**
 * The events of every session's streams in Redis Streams, one stream per
 * session, so that a client resumes on any replica. Each entry names its
 * client stream and number; the stream is trimmed to `maxEvents` on every
 * append and expires `maxAgeMs` after the last one, and reads skip what is
 * older. Appends are sent without waiting (skipped while Redis is down).
 */
export class RedisEventStore implements EventStore {
  readonly #gate: RedisGate;
  readonly #prefix: string;
  readonly #limits: EventStoreLimits;
  readonly #clock: Clock;
  readonly #listeners = new AppendListeners();

  constructor(gate: RedisGate, prefix: string, limits: EventStoreLimits, clock: Clock) {
    this.#gate = gate;
    this.#prefix = prefix;
    this.#limits = limits;
    this.#clock = clock;
  }

  #key(session: string): string {
    return `${this.#prefix}:events:${session}`;
  }

  append(session: string, stream: string, seq: number, text: string): void {
    const key = this.#key(session);
    this.#gate.send(
      "XADD",
      key,
      "MAXLEN",
      "~",
      this.#limits.maxEvents,
      "*",
      "s",
      stream,
      "q",
      seq,
      "m",
      text,
    );
    this.#gate.send("PEXPIRE", key, this.#limits.maxAgeMs);
    this.#listeners.emit(session, stream);
  }

  async read(session: string, stream: string): Promise<StoredEvent[] | undefined> {
    let entries: Array<[string, string[]]>;
    try {
      entries = await this.#gate.run<Array<[string, string[]]>>(
        "XRANGE",
        this.#key(session),
        Math.max(0, this.#clock.now() - this.#limits.maxAgeMs),
        "+",
      );
    } catch {
      return undefined;
    }
    const events: StoredEvent[] = [];
    for (const [, fields] of entries) {
      const entry: Record<string, string> = {};
      for (let index = 0; index < fields.length; index += 2)
        entry[fields[index] as string] = fields[index + 1] as string;
      if (entry.s === stream && entry.m !== undefined)
        events.push({ seq: Number(entry.q), text: entry.m });
    }
    return events;
  }

  drop(session: string): void {
    this.#gate.send("DEL", this.#key(session));
  }

  onAppend(listener: (session: string, stream: string) => void): () => void {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}
