import { defineError, describeError, McpProdError } from "@mcp-prod/internal";

/**
 * What went wrong, for callers that branch on it (never on the message).
 *
 * @example
 * ```ts
 * if (PoolError.isInstance(error) && error.code === "EPOOLCLOSED") return;
 * ```
 */
export type PoolErrorCode =
  | "EPOOLTIMEOUT"
  | "EQUERYTIMEOUT"
  | "EPOOLCLOSED"
  | "ERELEASED"
  | "EROLLEDBACK"
  | "ECONNECTIONLOST";

/**
 * The numbers a {@link PoolTimeoutError} carries, the same shape as `pool.stats()`.
 *
 * @example
 * ```ts
 * const { checkedOut, max, waiting }: PoolStats = pool.stats();
 * ```
 */
export type PoolStats = {
  /** Open connections, idle or checked out, including ones still connecting. */
  readonly total: number;
  /** Open connections waiting in the pool. */
  readonly idle: number;
  /** Callers waiting for a connection. */
  readonly waiting: number;
  /** The `max` option. */
  readonly max: number;
  /** Connections held by callers right now. */
  readonly checkedOut: number;
  /** Connection-level failures so far: failed connects, connections that died, failed validations. */
  readonly errors: number;
  /** Median time to get a connection over the recent acquisitions, in milliseconds. */
  readonly acquireP50Ms: number;
  /** 99th percentile time to get a connection over the recent acquisitions, in milliseconds. */
  readonly acquireP99Ms: number;
};

/**
 * The base of every error this package throws; pg's own errors (with their
 * SQLSTATE `code`) pass through unchanged.
 *
 * @example
 * ```ts
 * import { PoolError } from "@mcp-prod/pool";
 *
 * try {
 *   await pool.query("SELECT 1");
 * } catch (error) {
 *   if (PoolError.isInstance(error) && error.code === "EPOOLCLOSED") return;
 *   throw error;
 * }
 * ```
 */
export class PoolError extends McpProdError<PoolErrorCode> {
  override readonly name: string = "PoolError";

  constructor(code: PoolErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }

  static {
    defineError(PoolError, "pool", "PoolError", "PoolError");
  }
}

/**
 * The `ECONNECTIONLOST` error the pool gives a failure pg reports with a
 * message and no code: a connection closed under a statement or during its
 * startup. `cause` is pg's error.
 */
export function connectionLost(cause: unknown): PoolError {
  return new PoolError(
    "ECONNECTIONLOST",
    `The connection to the database was lost: ${describeError(cause)}`,
    { cause },
  );
}

/**
 * No connection could be had within `connectionTimeoutMillis`: the pool was
 * exhausted, or the database could not be reached (then `cause` is the last
 * connection error). The message and `stats` say how the pool stood.
 *
 * @example
 * ```ts
 * import { PoolTimeoutError } from "@mcp-prod/pool";
 *
 * try {
 *   await pool.query("SELECT 1");
 * } catch (error) {
 *   if (PoolTimeoutError.isInstance(error)) console.warn("database busy", error.stats.waiting);
 *   else throw error;
 * }
 * ```
 */
export class PoolTimeoutError extends PoolError {
  override readonly name = "PoolTimeoutError" as const;
  override readonly code = "EPOOLTIMEOUT" as const;
  /** The pool's stats when the wait gave up. */
  readonly stats: PoolStats;
  /** How long the caller waited, in milliseconds. */
  readonly timeoutMs: number;

  constructor(poolName: string, timeoutMs: number, stats: PoolStats, options?: ErrorOptions) {
    const reason =
      options?.cause instanceof Error
        ? ` (last connection error: ${describeError(options.cause)})`
        : "";
    super(
      "EPOOLTIMEOUT",
      `No connection from pool "${poolName}" within ${timeoutMs} ms${reason}; total ${stats.total}, idle ${stats.idle}, waiting ${stats.waiting}, checkedOut ${stats.checkedOut}, max ${stats.max}`,
      options,
    );
    this.stats = stats;
    this.timeoutMs = timeoutMs;
  }

  static {
    defineError(PoolTimeoutError, "pool", "PoolTimeoutError", "PoolTimeoutError");
  }
}

/**
 * A statement ran longer than `queryTimeoutMs` on the client side. Its
 * connection is closed, since the statement may still be running on it.
 *
 * @example
 * ```ts
 * import { QueryTimeoutError } from "@mcp-prod/pool";
 *
 * const rows = await pool.query("SELECT pg_sleep(10)", [], { timeoutMs: 100 }).catch((error) => {
 *   if (QueryTimeoutError.isInstance(error)) return undefined;
 *   throw error;
 * });
 * ```
 */
export class QueryTimeoutError extends PoolError {
  override readonly name = "QueryTimeoutError" as const;
  override readonly code = "EQUERYTIMEOUT" as const;
  /** The timeout that fired, in milliseconds. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number, options?: ErrorOptions) {
    super("EQUERYTIMEOUT", `Query did not finish within ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }

  static {
    defineError(QueryTimeoutError, "pool", "QueryTimeoutError", "QueryTimeoutError");
  }
}
