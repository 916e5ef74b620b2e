import { RateLimitExceededError, type RateLimiter } from "@mcp-prod/ratelimit";
import type { Backend } from "./backend.ts";

/** A refusal, or nothing when the call may go. */
export type Decision = Promise<RateLimitExceededError | undefined>;

/**
 * Spends `cost` points of `key`. A cost beyond the whole budget is refused
 * without asking the store (a batch larger than the limit can never pass).
 */
export function decide(limiter: RateLimiter, key: string, cost = 1): Decision {
  if (cost > limiter.points)
    return Promise.resolve(
      new RateLimitExceededError({
        key,
        retryAfterMs: limiter.durationSeconds * 1000,
        limit: limiter.points,
        durationSeconds: limiter.durationSeconds,
      }),
    );
  return limiter.consume(key, { cost }).then(
    () => undefined,
    (error: unknown) => {
      if (RateLimitExceededError.isInstance(error)) return error;
      throw error;
    },
  );
}

/** One identity holds its whole share of a backend's connections: the call is refused, not queued. */
export class ShareExceededError extends Error {
  override readonly name = "ShareExceededError";
  readonly backend: string;
  readonly share: number;
  constructor(backend: string, share: number) {
    super(`Too many calls in flight to ${backend} for this client (at most ${share})`);
    this.backend = backend;
    this.share = share;
  }
}

/**
 * Fair shares of each backend's connections: one identity holds at most
 * `perIdentity` calls in flight to one backend, so it can never take the
 * whole pool from the others.
 */
export class Shares {
  readonly #perIdentity: number;
  readonly #inFlight = new Map<string, number>();

  constructor(perIdentity: number) {
    this.#perIdentity = perIdentity;
  }

  /** Counts a call of `identity` to `backend`; returns the function that ends it. */
  enter(identity: string, backend: Backend): () => void {
    const key = `${backend.label}\n${identity}`;
    const count = this.#inFlight.get(key) ?? 0;
    if (count >= this.#perIdentity) throw new ShareExceededError(backend.label, this.#perIdentity);
    this.#inFlight.set(key, count + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const remaining = (this.#inFlight.get(key) ?? 1) - 1;
      if (remaining <= 0) this.#inFlight.delete(key);
      else this.#inFlight.set(key, remaining);
    };
  }
}
