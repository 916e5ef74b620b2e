import { randomUUID } from "node:crypto";
import {
  type CacheOperation,
  type DeadlineEntry,
  DeadlineQueue,
  RedisReadiness,
} from "@mcp-prod/internal";
import type { Redis } from "ioredis";
import { CacheError } from "./errors.ts";
import { escapeGlob } from "./keys.ts";
import type { StoredEntry } from "./memory-tier.ts";
import type { Serializer } from "./serializer.ts";
import { tracedCommand } from "./tracing.ts";

export type { CacheOperation };

export type RedisTierOptions = {
  readonly redis: Redis;
  readonly prefix: string;
  readonly commandTimeoutMs: number;
  readonly serializer: Serializer;
  readonly lockTtlMs: number;
  readonly onError: (operation: CacheOperation, error: unknown) => void;
};

/** What trying to take the cross-process lock gave. */
export type LockAttempt =
  | { readonly state: "acquired"; readonly token: string }
  | { readonly state: "busy" }
  | { readonly state: "failed" };

// Deletes the lock only while it still holds our token, so a holder whose lock
// expired never frees the lock another process has taken since.
const RELEASE_SCRIPT =
  'if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end';

/**
 * The Redis tier. Every command is bounded by `commandTimeoutMs`; a failure or
 * timeout is reported through `onError` and turned into "no answer", so Redis
 * being down or slow is never the caller's error. Entries are stored as
 * `freshUntil:staleUntil:payload` with a PX expiry covering the stale window,
 * which lets an instance that never saw a value serve it stale.
 */
export class RedisTier {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #serializer: Serializer;
  readonly #lockTtlMs: number;
  readonly #onError: RedisTierOptions["onError"];
  readonly #readiness = new RedisReadiness();
  // One timer for every command in flight: re-arming a timer per command had
  // added measurable latency to every Redis round trip.
  readonly #deadlines = new DeadlineQueue<PendingCommand>((pending) => {
    this.#onError(
      pending.operation,
      new CacheError(
        "ECACHEREDISTIMEOUT",
        `Redis ${pending.operation} did not answer within ${this.#timeoutMs} ms`,
      ),
    );
    pending.resolve(undefined);
  });

  constructor(options: RedisTierOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#timeoutMs = options.commandTimeoutMs;
    this.#serializer = options.serializer;
    this.#lockTtlMs = options.lockTtlMs;
    this.#onError = options.onError;
  }

  /** The stored entry (fresh or within its stale window), `undefined` when absent or Redis failed. */
  read(key: string): Promise<StoredEntry | undefined> {
    // Decoded as the reply settles the command: no promise of its own.
    return this.#command("get", () => this.#redis.get(this.#prefix + key), this.#decodeReply);
  }

  /** Writes one entry; false when Redis failed. */
  async write(key: string, entry: StoredEntry, payload: string): Promise<boolean> {
    const ttlMs = Math.max(1, Math.ceil(entry.staleUntil - Date.now()));
    const text = `${entry.freshUntil}:${entry.staleUntil}:${payload}`;
    const reply = await this.#command("set", () =>
      this.#redis.set(this.#prefix + key, text, "PX", ttlMs),
    );
    return reply === "OK";
  }

  async remove(key: string): Promise<boolean> {
    const reply = await this.#command("delete", () => this.#redis.del(this.#prefix + key));
    return reply !== undefined;
  }

  /** Deletes every entry whose key starts with `prefix`, walking with SCAN (never KEYS). */
  async clear(prefix: string): Promise<boolean> {
    const match = `${escapeGlob(this.#prefix + prefix)}*`;
    let cursor = "0";
    do {
      const reply = await this.#command("clear", () =>
        this.#redis.scan(cursor, "MATCH", match, "COUNT", 500),
      );
      if (reply === undefined) return false;
      const [next, keys] = reply;
      cursor = next;
      if (keys.length > 0) {
        const removed = await this.#command(
          "clear",
          () => this.#redis.unlink(...keys),
          undefined,
          "UNLINK",
        );
        if (removed === undefined) return false;
      }
    } while (cursor !== "0");
    return true;
  }

  /** `SET lock token NX PX lockTtlMs`: one process computes a key at a time. */
  async lock(key: string): Promise<LockAttempt> {
    const token = randomUUID();
    const reply = await this.#command("lock", () =>
      this.#redis.set(this.#lockKey(key), token, "PX", this.#lockTtlMs, "NX"),
    );
    if (reply === undefined) return { state: "failed" };
    return reply === "OK" ? { state: "acquired", token } : { state: "busy" };
  }

  async unlock(key: string, token: string): Promise<void> {
    await this.#command("unlock", () =>
      this.#redis.eval(RELEASE_SCRIPT, 1, this.#lockKey(key), token),
    );
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#command("publish", () => this.#redis.publish(channel, message));
  }

  async ping(): Promise<boolean> {
    const reply = await this.#command("ping", () => this.#redis.ping());
    return reply === "PONG";
  }

  #lockKey(key: string): string {
    return `${this.#prefix}__lock__:${key}`;
  }

  readonly #decodeReply = (text: string | null): StoredEntry | undefined =>
    text == null ? undefined : this.#decode(text);

  #decode(text: string): StoredEntry | undefined {
    const first = text.indexOf(":");
    const second = text.indexOf(":", first + 1);
    const freshUntil = Number(text.slice(0, first));
    const staleUntil = Number(text.slice(first + 1, second));
    if (first < 1 || second < 0 || !Number.isFinite(freshUntil) || !Number.isFinite(staleUntil)) {
      this.#onError("get", new CacheError("ECACHESERIALIZATION", "Malformed cache entry"));
      return undefined;
    }
    const payload = text.slice(second + 1);
    try {
      const value = this.#serializer.deserialize(payload);
      return { value, freshUntil, staleUntil, size: payload.length };
    } catch (error) {
      this.#onError(
        "get",
        new CacheError("ECACHESERIALIZATION", "Cache entry cannot be deserialized", {
          cause: error,
        }),
      );
      return undefined;
    }
  }

  /**
   * Runs one command bounded by the command timeout; `undefined` (and an error
   * report) on failure. `map`, when given, turns the reply into the answer.
   */
  #command<T>(operation: CacheOperation, run: () => Promise<T>): Promise<T | undefined>;
  #command<T>(
    operation: CacheOperation,
    run: () => Promise<T>,
    map: undefined,
    command: string,
  ): Promise<T | undefined>;
  #command<T, R>(
    operation: CacheOperation,
    run: () => Promise<T>,
    map: (reply: T) => R,
  ): Promise<R | undefined>;
  #command<T, R>(
    operation: CacheOperation,
    run: () => Promise<T>,
    map?: (reply: T) => R,
    command?: string,
  ): Promise<T | R | undefined> {
    const status = this.#redis.status;
    if (this.#readiness.isDown(status)) {
      // Known to be down: answer "no" now instead of queueing until the timeout.
      this.#onError(
        operation,
        new CacheError("ECACHEREDISUNAVAILABLE", `Redis is not connected (${status})`),
      );
      return Promise.resolve(undefined);
    }
    return new Promise<T | R | undefined>((resolve) => {
      const pending: PendingCommand = {
        deadline: 0,
        previous: undefined,
        next: undefined,
        operation,
        resolve,
      };
      this.#deadlines.add(pending, this.#timeoutMs);
      let reply: Promise<T>;
      try {
        reply = tracedCommand(operation, this.#redis, run, command);
      } catch (error) {
        reply = Promise.reject(error);
      }
      reply.then(
        (value) => {
          // false once the command has timed out: its caller already has "no answer".
          if (this.#deadlines.remove(pending)) resolve(map === undefined ? value : map(value));
        },
        (error: unknown) => {
          if (!this.#deadlines.remove(pending)) return;
          this.#onError(operation, error);
          resolve(undefined);
        },
      );
    });
  }

  /** Answers every command still waiting on Redis with "no answer" and stops the timer. */
  close(): void {
    this.#deadlines.expireAll();
  }
}

/** A command waiting on Redis, in the tier's deadline queue. */
type PendingCommand = DeadlineEntry & {
  readonly operation: CacheOperation;
  readonly resolve: (value: undefined) => void;
};
