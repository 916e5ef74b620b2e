import type { PoolEvents } from "@mcp-prod/internal";
import type { QueryConfig, QueryResult, QueryResultRow } from "pg";
import type { ConnectionOptions } from "./option-keys.ts";

/**
 * Options of {@link createPool}. Timeouts named `…Millis` keep node-postgres' names.
 *
 * @example
 * ```ts
 * const options: PoolOptions = {
 *   connectionString: process.env.DATABASE_URL,
 *   min: 2,
 *   statementTimeoutMs: 10_000,
 *   leakDetectionMs: 60_000,
 * };
 * const pool = createPool(options);
 * ```
 */
export type PoolOptions = {
  /**
   * `postgres://user:password@host:5432/database`; a malformed one throws a
   * `TypeError` naming it at once.
   */
  readonly connectionString?: string | undefined;
  /**
   * Any other node-postgres connection option (`host`, `user`, `password`,
   * `ssl`, `keepAlive`, …), passed through to `pg.Pool`.
   * @default { keepAlive: true }
   */
  readonly connection?: ConnectionOptions;
  /** The pool's name in events, stats and error messages. @default "pool" */
  readonly name?: string | undefined;
  /** Most connections open at once. @default 20 */
  readonly max?: number;
  /** Connections opened at start and kept open (reopened in the background when lost). @default 0 */
  readonly min?: number;
  /** An idle connection above `min` is closed after this long; 0 keeps them. @default 30000 */
  readonly idleTimeoutMillis?: number;
  /**
   * How long getting a connection may take, waiting in the queue and
   * connecting (with retries) included, before {@link PoolTimeoutError}.
   * @default 2000
   */
  readonly connectionTimeoutMillis?: number;
  /** The server cancels a statement running longer than this (`statement_timeout`); 0 disables. @default 30000 */
  readonly statementTimeoutMs?: number;
  /**
   * The client gives up on a statement after this long with
   * {@link QueryTimeoutError} and closes its connection; 0 disables. A little
   * above `statementTimeoutMs`, so that the server's cancellation, which keeps
   * the connection, normally comes first.
   * @default statementTimeoutMs + 5000, or 35000 when statementTimeoutMs is 0
   */
  readonly queryTimeoutMs?: number;
  /**
   * A connection is recycled after living this long, each one up to 10 %
   * earlier at random so that connections opened together do not all expire
   * together. It is closed when next returned or borrowed; 0 disables.
   * @default 1800
   */
  readonly maxLifetimeSeconds?: number;
  /** `application_name` the server shows in `pg_stat_activity`. @default pg's (PGAPPNAME) */
  readonly applicationName?: string | undefined;
  /**
   * A connection checked out longer than this emits `leak`: for `acquire()`
   * and `transaction()` with the stack of where it was taken (recorded per
   * checkout, formatted only when reported), for `query()` with the statement
   * holding it (no stack is captured on that hot path); 0 disables.
   * @default 0
   */
  readonly leakDetectionMs?: number;
  /**
   * A connection idle longer than this is checked with `SELECT 1` before it is
   * handed out, and replaced if dead; 0 never checks.
   * @default 0
   */
  readonly validateAfterIdleMs?: number;
  /** How many times `transaction()` runs a transaction that fails with 40001 or 40P01. @default 3 */
  readonly transactionAttempts?: number;
  /** How many times `query(…, { idempotent: true })` runs a statement whose connection failed. @default 3 */
  readonly queryAttempts?: number;
};

/**
 * Options of one `query()`.
 *
 * @example
 * ```ts
 * await pool.query("SELECT * FROM users WHERE id = $1", [id], {
 *   signal: extra.signal,
 *   timeoutMs: 5000,
 *   idempotent: true,
 * });
 * ```
 */
export type QueryOptions = {
  /** Cancels the wait for a connection and the statement (its connection is then closed). */
  readonly signal?: AbortSignal | undefined;
  /** Overrides the pool's `queryTimeoutMs` for this statement; 0 disables. */
  readonly timeoutMs?: number;
  /**
   * The statement may run twice without harm (a read, an upsert), so it is
   * retried when its connection fails after it may have run. Without it only
   * failures to get a connection are retried: never a silent double write.
   * @default false
   */
  readonly idempotent?: boolean;
};

/**
 * Options of a statement inside a transaction or on an acquired connection.
 *
 * @example
 * ```ts
 * await tx.query("UPDATE jobs SET done = true WHERE id = $1", [id], { timeoutMs: 1000 });
 * ```
 */
export type StatementOptions = Omit<QueryOptions, "idempotent">;

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
 * Options of `transaction()`.
 *
 * @example
 * ```ts
 * await pool.transaction(async (tx) => tx.query("SELECT 1"), {
 *   isolationLevel: "serializable",
 *   maxAttempts: 5,
 *   signal: extra.signal,
 * });
 * ```
 */
export type TransactionOptions = {
  /** Cancels the transaction (rolled back) and any retry wait. */
  readonly signal?: AbortSignal | undefined;
  /** `BEGIN ISOLATION LEVEL …`. @default the server's (read committed) */
  readonly isolationLevel?: "read committed" | "repeatable read" | "serializable";
  /** `BEGIN READ ONLY`. @default false */
  readonly readOnly?: boolean;
  /** Overrides the pool's `transactionAttempts`. */
  readonly maxAttempts?: number;
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
