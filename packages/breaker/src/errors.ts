import { defineError, McpProdError } from "@mcp-prod/internal";

/** Every `code` a {@link BreakerError} can carry. */
export type BreakerErrorCode = "EOPENBREAKER" | "ETIMEDOUT" | "ESHUTDOWN" | "EREENTRANT";

/**
 * The base of every error this package raises. Detect it with
 * {@link BreakerError.isInstance}, which works across two installed copies of
 * the package, and branch on `code`, never on the message.
 *
 * @example
 * ```ts
 * import { BreakerError } from "@mcp-prod/breaker";
 * try {
 *   await breaker.fire("oslo");
 * } catch (error) {
 *   if (BreakerError.isInstance(error) && error.code === "ETIMEDOUT") retryLater();
 * }
 * ```
 */
export class BreakerError extends McpProdError<BreakerErrorCode> {
  override readonly name: string = "BreakerError";
  /** The `name` of the breaker that raised the error. */
  readonly breakerName: string;

  constructor(
    code: BreakerErrorCode,
    message: string,
    breakerName: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
    this.breakerName = breakerName;
  }

  static {
    defineError(BreakerError, "breaker", "BreakerError", "BreakerError");
  }
}

/**
 * What `fire` rejects with while the circuit is open, or half-open with every
 * probe slot taken. The call never reached the action.
 *
 * @example
 * ```ts
 * import { BreakerOpenError } from "@mcp-prod/breaker";
 * try {
 *   await breaker.fire("oslo");
 * } catch (error) {
 *   if (BreakerOpenError.isInstance(error)) return cachedForecast(error.retryAfterMs);
 *   throw error;
 * }
 * ```
 */
export class BreakerOpenError extends BreakerError {
  override readonly name = "BreakerOpenError";
  override readonly code = "EOPENBREAKER" as const;
  /** Milliseconds until the breaker lets a probe through, or 0 when it is half-open. */
  readonly retryAfterMs: number;

  constructor(breakerName: string, retryAfterMs: number) {
    super("EOPENBREAKER", `Breaker "${breakerName}" is open`, breakerName);
    this.retryAfterMs = retryAfterMs;
  }

  static {
    defineError(BreakerOpenError, "breaker", "BreakerOpenError", "BreakerOpenError");
  }
}

/**
 * What a call rejects with when it outlives the breaker's `timeout`. The
 * call's signal is aborted with this error and it counts as a failure.
 *
 * @example
 * ```ts
 * import { BreakerTimeoutError } from "@mcp-prod/breaker";
 * const timedOut = (error: unknown) => BreakerTimeoutError.isInstance(error) && error.timeoutMs > 1000;
 * ```
 */
export class BreakerTimeoutError extends BreakerError {
  override readonly name = "BreakerTimeoutError";
  override readonly code = "ETIMEDOUT" as const;
  readonly timeoutMs: number;

  constructor(breakerName: string, timeoutMs: number) {
    super("ETIMEDOUT", `Breaker "${breakerName}" timed out after ${timeoutMs}ms`, breakerName);
    this.timeoutMs = timeoutMs;
  }

  static {
    defineError(BreakerTimeoutError, "breaker", "BreakerTimeoutError", "BreakerTimeoutError");
  }
}

/**
 * What a call rejects with after `close()`.
 *
 * @example
 * ```ts
 * import { BreakerShutdownError } from "@mcp-prod/breaker";
 * const stopped = (error: unknown) => BreakerShutdownError.isInstance(error);
 * ```
 */
export class BreakerShutdownError extends BreakerError {
  override readonly name = "BreakerShutdownError";
  override readonly code = "ESHUTDOWN" as const;

  constructor(breakerName: string) {
    super("ESHUTDOWN", `Breaker "${breakerName}" has been shut down`, breakerName);
  }

  static {
    defineError(BreakerShutdownError, "breaker", "BreakerShutdownError", "BreakerShutdownError");
  }
}

/**
 * A call through a half-open breaker made from inside that breaker's own probe
 * call: typically `withBreaker(handler, { breaker })` whose handler also calls
 * `breaker.fire()`. The outer call holds the probe slot, so the inner one could
 * never run; the probe would fail and the circuit stay open for good.
 *
 * @example
 * ```ts
 * import { BreakerReentrantError } from "@mcp-prod/breaker";
 * breaker.on("failure", ({ error }) => {
 *   if (BreakerReentrantError.isInstance(error)) logger.error(error.message);
 * });
 * ```
 */
export class BreakerReentrantError extends BreakerError {
  override readonly name = "BreakerReentrantError";
  override readonly code = "EREENTRANT" as const;

  constructor(breakerName: string) {
    super(
      "EREENTRANT",
      `Breaker "${breakerName}" was called from inside its own call: the outer call holds the half-open probe slot, so this one can never run and the circuit would never close. Inside a handler wrapped with withBreaker({ breaker }), call the upstream directly instead of through breaker.fire(), or guard it with a second breaker.`,
      breakerName,
    );
  }

  static {
    defineError(BreakerReentrantError, "breaker", "BreakerReentrantError", "BreakerReentrantError");
  }
}
