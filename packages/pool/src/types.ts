import type { PoolEvents } from "@mcp-prod/internal";
import type { QueryConfig, QueryResult, QueryResultRow } from "pg";
import type { StatementOptions } from "./options.ts";

/**
 * The SQL text with `$1…` placeholders, or a pg `QueryConfig` (named statements, `rowMode`).
 *
 * @example
 * ```ts
 * const text: QueryText = { text: "SELECT id FROM users WHERE name = $1", name: "user-by-name" };
 * await pool.query(text, ["ada"]);
 * ```
 */
export type QueryText = string | QueryConfig;

/**
 * Something statements run on: a transaction or an acquired connection.
 *
 * @example
 * ```ts
 * async function countUsers(db: Queryable): Promise<number> {
 *   const { rows } = await db.query<{ count: string }>("SELECT count(*) AS count FROM users");
 *   return Number(rows[0]?.count);
 * }
 * ```
 */
export type Queryable = {
  /** Runs one statement on this connection. */
  query<Row extends QueryResultRow = QueryResultRow>(
    text: QueryText,
    values?: ReadonlyArray<unknown>,
    options?: StatementOptions,
  ): Promise<QueryResult<Row>>;
};

/**
 * The `tx` of `transaction()`: every statement runs on the transaction's one connection.
 *
 * @example
 * ```ts
 * await pool.transaction(async (tx: Transaction) => {
 *   await tx.query("INSERT INTO audit (action) VALUES ($1)", ["login"]);
 * });
 * ```
 */
export type Transaction = Queryable;

/**
 * A connection checked out with `acquire()`: call `release()` exactly once, in a `finally`.
 *
 * @example
 * ```ts
 * const connection: PoolConnection = await pool.acquire();
 * try {
 *   await connection.query("SET LOCAL lock_timeout = 1000");
 * } finally {
 *   connection.release();
 * }
 * ```
 */
export type PoolConnection = Queryable & {
  /**
   * Returns the connection to the pool (calling it again does nothing). Pass
   * an error to close the connection instead, e.g. when its state is unknown.
   * A connection left inside a transaction is closed, never reused.
   */
  release(error?: Error): void;
};

/**
 * What the transaction callback receives besides `tx`.
 *
 * @example
 * ```ts
 * await pool.transaction(async (tx, { attempt, signal }) => {
 *   if (attempt > 1) metrics.retries.inc();
 *   await tx.query("UPDATE stock SET n = n - 1 WHERE id = $1", [id], { signal });
 * });
 * ```
 */
export type TransactionContext = {
  /** The transaction's signal, to pass to other work it does. */
  readonly signal: AbortSignal | undefined;
  /** 1 on the first run, 2 on the first retry after a serialization failure, … */
  readonly attempt: number;
};

export type { PoolEvents };

/**
 * Health of the pool's database, as `healthCheck()` reports it.
 *
 * @example
 * ```ts
 * const database: PoolHealth = await pool.healthCheck({ timeoutMs: 1000 });
 * ```
 */
export type PoolHealth = "healthy" | "unhealthy";

/**
 * The former name of {@link PoolHealth}, which `@mcp-prod/health`'s own
 * `HealthStatus` (with `"degraded"`) made ambiguous.
 * @deprecated use `PoolHealth`
 */
export type HealthStatus = PoolHealth;
