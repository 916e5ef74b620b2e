/**
 * Whether an ioredis client is known to be down, from its `status`. A command
 * sent to a client that is not ready waits in its offline queue until the
 * caller's timeout, so once a client has been ready, any other status means
 * down and the caller answers at once (a cache miss, a rate-limit fallback).
 * Before that (the first connect at start-up) commands are sent and wait at
 * most their timeout; `end`, `close` and `reconnecting` mean down at any time.
 * One per client, since it remembers whether the client has been ready.
 *
 * @example
 * ```ts
 * const readiness = new RedisReadiness();
 * if (readiness.isDown(redis.status)) return fallback();
 * ```
 */
export class RedisReadiness {
  #sawReady = false;

  isDown(status: string | undefined): boolean {
    if (status === "ready") {
      this.#sawReady = true;
      return false;
    }
    return this.#sawReady || status === "end" || status === "close" || status === "reconnecting";
  }
}
