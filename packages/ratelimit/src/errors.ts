import { defineError, McpProdError } from "@mcp-prod/internal";

/**
 * The base of every error this package raises. Match on `code` or use
 * `RateLimitError.isInstance(error)`; never on the message.
 *
 * @example
 * ```ts
 * import { RateLimitError } from "@mcp-prod/ratelimit";
 *
 * function describe(error: unknown): string {
 *   return RateLimitError.isInstance(error) ? `rate limit: ${error.code}` : "other";
 * }
 * ```
 */
export class RateLimitError extends McpProdError {
  override readonly name: string = "RateLimitError";
  constructor(message: string, options?: ErrorOptions) {
    super("ERATELIMIT", message, options);
  }
  static {
    defineError(RateLimitError, "ratelimit", "RateLimitError", "RateLimitError");
  }
}

/**
 * What `limiter.consume(key)` rejects with when `key` has used its points for
 * the current window (or, with `onStoreError: "closed"`, when the store is
 * unreachable). `retryAfterMs` says when the next call can succeed.
 *
 * @example
 * ```ts
 * import { createRateLimiter, RateLimitExceededError } from "@mcp-prod/ratelimit";
 *
 * const limiter = createRateLimiter({ points: 1, durationSeconds: 60 });
 * await limiter.consume("client-a");
 * try {
 *   await limiter.consume("client-a");
 * } catch (error) {
 *   if (RateLimitExceededError.isInstance(error)) error.retryAfterMs; // up to 60_000
 * }
 * ```
 */
export class RateLimitExceededError extends RateLimitError {
  override readonly name = "RateLimitExceededError" as const;
  override readonly code = "ERATELIMITED" as const;
  /** The key that ran out of points (already including the tool name, when one was set). */
  readonly key: string;
  /** Milliseconds until the window resets and the key can be served again. */
  readonly retryAfterMs: number;
  /** `retryAfterMs` rounded up to whole seconds, at least 1: the `Retry-After` value. */
  readonly retryAfterSeconds: number;
  /** The limiter's `points`. */
  readonly limit: number;
  /** The limiter's `durationSeconds`. */
  readonly durationSeconds: number;
  /** True when the call was refused because the store was down and `onStoreError` is `"closed"`. */
  readonly storeUnavailable: boolean;

  constructor(
    details: {
      readonly key: string;
      readonly retryAfterMs: number;
      readonly limit: number;
      readonly durationSeconds: number;
      readonly storeUnavailable?: boolean;
    },
    options?: ErrorOptions,
  ) {
    const retryAfterSeconds = toRetryAfterSeconds(details.retryAfterMs);
    super(
      details.storeUnavailable
        ? `Rate limit store unavailable, retry after ${retryAfterSeconds} s`
        : `Rate limit exceeded, retry after ${retryAfterSeconds} s (limit: ${details.limit} per ${details.durationSeconds} s)`,
      options,
    );
    this.key = details.key;
    this.retryAfterMs = details.retryAfterMs;
    this.retryAfterSeconds = retryAfterSeconds;
    this.limit = details.limit;
    this.durationSeconds = details.durationSeconds;
    this.storeUnavailable = details.storeUnavailable ?? false;
  }

  static {
    defineError(
      RateLimitExceededError,
      "ratelimit",
      "RateLimitExceededError",
      "RateLimitExceededError",
    );
  }
}

/**
 * A failure of the shared store (Redis unreachable, a command timing out),
 * reported through the limiter's `error` event; it never reaches a caller of
 * `consume`, which is served by the fallback instead (or refused with
 * {@link RateLimitExceededError} under `onStoreError: "closed"`).
 *
 * @example
 * ```ts
 * import { createRateLimiter, RateLimitStoreError } from "@mcp-prod/ratelimit";
 *
 * const limiter = createRateLimiter({ points: 10, durationSeconds: 1 });
 * limiter.on("error", ({ error }) => {
 *   if (RateLimitStoreError.isInstance(error)) error.cause; // the Redis client's error
 * });
 * ```
 */
export class RateLimitStoreError extends RateLimitError {
  override readonly name = "RateLimitStoreError" as const;
  override readonly code = "ERATELIMITSTORE" as const;
  static {
    defineError(RateLimitStoreError, "ratelimit", "RateLimitStoreError", "RateLimitStoreError");
  }
}

/**
 * The limiter was used after `close()`.
 *
 * @example
 * ```ts
 * await limiter.close();
 * await limiter.consume("k").catch((error) => RateLimitClosedError.isInstance(error)); // true
 * ```
 */
export class RateLimitClosedError extends RateLimitError {
  override readonly name = "RateLimitClosedError" as const;
  override readonly code = "ERATELIMITCLOSED" as const;
  constructor() {
    super("This rate limiter was closed: create a new one with createRateLimiter()");
  }
  static {
    defineError(RateLimitClosedError, "ratelimit", "RateLimitClosedError", "RateLimitClosedError");
  }
}

/** `Retry-After` is whole seconds; a client told `0` would retry at once and be refused again. */
export function toRetryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}
