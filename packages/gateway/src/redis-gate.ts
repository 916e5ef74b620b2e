import { defineError } from "@mcp-prod/internal";
import type { RedisClientLike } from "@mcp-prod/ratelimit";
import type { Clock, Timer } from "./clock.ts";
import { GatewayError } from "./errors.ts";
import type { GatewayRedis } from "./options.ts";

/** Redis is not answering now: the request is decided without it (503, a local count). */
export class StoreUnavailableError extends GatewayError {
  override readonly name = "StoreUnavailableError";
  override readonly code = "ESTOREUNAVAILABLE";
  static {
    defineError(StoreUnavailableError, "gateway", "StoreUnavailableError");
  }
}

// A refused probe (the connection is down, not hung) is tried again this soon.
const PROBE_RETRY_MS = 250;

/**
 * Every command the gateway sends Redis goes through this gate. A command
 * that outlives `timeoutMs` (a hung Redis keeps its sockets open and answers
 * nothing), or fails, closes the gate: from then on no command is sent, every
 * caller is answered at once, and one probe (`PING`) at a time waits for Redis
 * to answer again. So a hung Redis costs one timeout, on the request that
 * noticed, and no command piles up in the client's queue meanwhile.
 */
export class RedisGate {
  readonly redis: GatewayRedis;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  #down = false;
  #probing = false;
  #retry: Timer | undefined;
  #closed = false;
  readonly #listeners = new Set<(up: boolean) => void>();

  constructor(redis: GatewayRedis, timeoutMs: number, clock: Clock) {
    this.redis = redis;
    this.#timeoutMs = timeoutMs;
    this.#clock = clock;
  }

  /** Whether Redis is taken for down (nothing is sent until a probe answers). */
  get down(): boolean {
    return this.#down;
  }

  /** Runs when Redis goes down (false) or comes back (true). */
  onChange(listener: (up: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** One command, within the timeout; rejects at once with {@link StoreUnavailableError} while down. */
  run<T>(command: string, ...args: Array<string | number>): Promise<T> {
    if (this.#down || this.#closed)
      return Promise.reject(new StoreUnavailableError("Redis is not answering"));
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = this.#clock.setTimeout(() => {
        if (settled) return;
        settled = true;
        this.fail();
        reject(new StoreUnavailableError(`Redis did not answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      (this.redis.call(command, ...args) as Promise<T>).then(
        (value) => {
          if (settled) return;
          settled = true;
          this.#clock.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          this.#clock.clearTimeout(timer);
          this.fail();
          reject(new StoreUnavailableError("Redis refused the command", { cause: error }));
        },
      );
    });
  }

  /** A command whose answer nobody waits for (a touch, an event): skipped while down. */
  send(command: string, ...args: Array<string | number>): void {
    this.run(command, ...args).catch(() => {});
  }

  /** Someone saw Redis fail (the rate limiter, say): close the gate and probe. */
  fail(): void {
    if (this.#closed) return;
    if (!this.#down) {
      this.#down = true;
      for (const listener of this.#listeners) listener(false);
    }
    this.#probe();
  }

  #probe(): void {
    if (this.#probing || this.#closed) return;
    this.#probing = true;
    // No timeout: a hung Redis answers this one PING when it wakes, and nothing else is queued.
    (this.redis.call("PING") as Promise<unknown>).then(
      () => {
        this.#probing = false;
        if (this.#closed || !this.#down) return;
        this.#down = false;
        for (const listener of this.#listeners) listener(true);
      },
      () => {
        this.#probing = false;
        if (this.#closed) return;
        this.#retry = this.#clock.setTimeout(() => this.#probe(), PROBE_RETRY_MS);
      },
    );
  }

  /**
   * The client as the rate limiters see it: `status` says "reconnecting"
   * while the gate is closed, so they count locally at once instead of
   * waiting for a Redis that does not answer.
   */
  limiterClient(): RedisClientLike {
    const gate = this;
    return new Proxy(this.redis as unknown as RedisClientLike, {
      get(target, property, receiver) {
        if (property === "status") return gate.#down ? "reconnecting" : target.status;
        return Reflect.get(target, property, receiver);
      },
    });
  }

  close(): void {
    this.#closed = true;
    if (this.#retry !== undefined) this.#clock.clearTimeout(this.#retry);
    this.#listeners.clear();
  }
}
