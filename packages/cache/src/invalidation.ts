import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { CrossProcessLock } from "./lock.ts";
import type { MemoryTier } from "./memory-tier.ts";
import type { CacheOperation, RedisTier } from "./redis-tier.ts";

const INVALIDATE_KEY = "k";
const INVALIDATE_PREFIX = "p";

/**
 * Keeps the L1 tiers of a cache's instances in step over Redis pub/sub: each
 * `set`/`delete`/`clear` is announced, and what other instances announce is
 * dropped from this one's L1 (waking any process polling for that key).
 */
export class Invalidation {
  readonly #l1: MemoryTier;
  readonly #l2: RedisTier;
  readonly #lock: CrossProcessLock;
  readonly #channel: string;
  readonly #instanceId = randomUUID();
  readonly #reportError: (operation: CacheOperation, error: unknown) => void;
  readonly #subscriber: Redis;

  /** Subscribes on a connection of its own, `redis.duplicate()`. */
  constructor(options: {
    readonly redis: Redis;
    readonly prefix: string;
    readonly l1: MemoryTier;
    readonly l2: RedisTier;
    readonly lock: CrossProcessLock;
    readonly reportError: (operation: CacheOperation, error: unknown) => void;
  }) {
    this.#l1 = options.l1;
    this.#l2 = options.l2;
    this.#lock = options.lock;
    this.#channel = `${options.prefix}__invalidate__`;
    this.#reportError = options.reportError;
    this.#subscriber = this.#subscribe(options.redis);
  }

  /** Tells the other instances that `storageKey` was written or deleted. */
  announceKey(storageKey: string): Promise<void> {
    return this.#announce(INVALIDATE_KEY, storageKey);
  }

  /** Tells the other instances that every key starting with `prefix` was cleared. */
  announcePrefix(prefix: string): Promise<void> {
    return this.#announce(INVALIDATE_PREFIX, prefix);
  }

  close(): void {
    // disconnect, not quit: quit waits for a reply a dead Redis never sends.
    this.#subscriber.disconnect();
  }

  async #announce(kind: string, argument: string): Promise<void> {
    await this.#l2.publish(this.#channel, `${this.#instanceId}\n${kind}\n${argument}`);
  }

  #subscribe(redis: Redis): Redis {
    // ioredis's own auto-resubscribe issues SUBSCRIBE without a rejection
    // handler: a connection closing mid-resubscribe would be an unhandled
    // rejection in the user's process. Subscribing on every "ready" ourselves
    // keeps that failure handled and counted.
    const subscriber = redis.duplicate({ autoResubscribe: false });
    let connectedBefore = false;
    const subscribe = () => {
      // Invalidations published while we were disconnected are lost: drop
      // every L1 copy that may have missed one.
      if (connectedBefore) this.#l1.clear("");
      connectedBefore = true;
      subscriber.subscribe(this.#channel).catch((error: unknown) => {
        this.#reportError("subscribe", error);
      });
    };
    subscriber.on("ready", subscribe);
    // Connection errors surface as failed commands on the main client; the
    // listener only keeps ioredis from printing them as unhandled.
    subscriber.on("error", () => {});
    subscriber.on("message", (channel: string, message: string) => {
      if (channel !== this.#channel) return;
      // "<instance>\n<kind>\n<key or prefix>"; the key itself may hold newlines.
      const first = message.indexOf("\n");
      const second = message.indexOf("\n", first + 1);
      if (first < 0 || second < 0 || message.slice(0, first) === this.#instanceId) return;
      const kind = message.slice(first + 1, second);
      const argument = message.slice(second + 1);
      if (kind === INVALIDATE_KEY) {
        this.#l1.delete(argument);
        this.#lock.wake(argument);
      } else if (kind === INVALIDATE_PREFIX) {
        this.#l1.clear(argument);
      }
    });
    if (subscriber.status === "wait") {
      // a lazyConnect client: the subscriber must connect on its own
      subscriber.connect().catch((error: unknown) => this.#reportError("subscribe", error));
    }
    return subscriber;
  }
}
