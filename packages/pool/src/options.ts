import {
  assertKnownKeys,
  assertNonNegativeInteger,
  assertNonNegativeNumber,
  assertOptions,
  assertPositiveInteger,
  assertPositiveNumber,
  assertString,
  type ForeignKeys,
  optionKeys,
} from "@mcp-prod/internal";
import type { PoolConfig } from "pg";
import { assertConnectionString } from "./connection-string.ts";

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

/** pg options this package sets itself from its own, so they cannot be passed through `connection`. */
export type ManagedPgOption =
  | "connectionString"
  | "max"
  | "min"
  | "idleTimeoutMillis"
  | "connectionTimeoutMillis"
  | "statement_timeout"
  | "query_timeout"
  | "maxLifetimeSeconds"
  | "application_name"
  | "allowExitOnIdle"
  | "log"
  | "Client"
  | "onConnect";

/** The options `connection` passes through to node-postgres. */
export type ConnectionOptions = Readonly<Omit<PoolConfig, ManagedPgOption>>;

export const POOL_KEYS = optionKeys<PoolOptions>({
  connectionString: true,
  connection: true,
  name: true,
  max: true,
  min: true,
  idleTimeoutMillis: true,
  connectionTimeoutMillis: true,
  statementTimeoutMs: true,
  queryTimeoutMs: true,
  maxLifetimeSeconds: true,
  applicationName: true,
  leakDetectionMs: true,
  validateAfterIdleMs: true,
  transactionAttempts: true,
  queryAttempts: true,
});

export const CONNECTION_KEYS = optionKeys<ConnectionOptions>({
  user: true,
  database: true,
  password: true,
  port: true,
  host: true,
  keepAlive: true,
  stream: true,
  ssl: true,
  enableChannelBinding: true,
  sslnegotiation: true,
  lock_timeout: true,
  keepAliveInitialDelayMillis: true,
  idle_in_transaction_session_timeout: true,
  fallback_application_name: true,
  types: true,
  options: true,
  client_encoding: true,
  pipeline: true,
  Promise: true,
  maxUses: true,
  verify: true,
});

/**
 * pg-pool takes connection settings at the top level; here they live in
 * `connection`, so `{ host }` would otherwise be ignored and the connection
 * fail later with "no PostgreSQL user name specified".
 */
export const POOL_FOREIGN_KEYS: ForeignKeys = {
  ...Object.fromEntries(
    CONNECTION_KEYS.map((key) => [
      key,
      `use \`connection.${key}\` (node-postgres connection settings go in \`connection\`)`,
    ]),
  ),
  statement_timeout: "use `statementTimeoutMs`",
  query_timeout: "use `queryTimeoutMs`",
  application_name: "use `applicationName`",
  url: "use `connectionString`",
  connectionTimeoutMs: "use `connectionTimeoutMillis` (node-postgres' name)",
  idleTimeoutMs: "use `idleTimeoutMillis` (node-postgres' name)",
};

/** Pool-level settings passed inside `connection` by mistake. */
export const CONNECTION_FOREIGN_KEYS: ForeignKeys = {
  connectionString: "set `connectionString` beside `connection`, not in it",
  max: "set `max` beside `connection`, not in it",
  min: "set `min` beside `connection`, not in it",
  idleTimeoutMillis: "set `idleTimeoutMillis` beside `connection`, not in it",
  connectionTimeoutMillis: "set `connectionTimeoutMillis` beside `connection`, not in it",
  maxLifetimeSeconds: "set `maxLifetimeSeconds` beside `connection`, not in it",
  statement_timeout: "set `statementTimeoutMs` beside `connection`",
  query_timeout: "set `queryTimeoutMs` beside `connection`",
  application_name: "set `applicationName` beside `connection`",
  allowExitOnIdle: "not supported: `pool.close()` lets the process exit",
  log: "not supported: listen to the pool's events instead",
  Client: "not supported",
  onConnect: "not supported: listen to the pool's `connect` event instead",
};

export const QUERY_KEYS: ReadonlySet<string> = new Set(
  optionKeys<QueryOptions>({ signal: true, timeoutMs: true, idempotent: true }),
);

export const STATEMENT_KEYS: ReadonlySet<string> = new Set(
  optionKeys<StatementOptions>({ signal: true, timeoutMs: true }),
);

export const TRANSACTION_KEYS = optionKeys<TransactionOptions>({
  signal: true,
  isolationLevel: true,
  readOnly: true,
  maxAttempts: true,
});

/** The options of a pool, checked and with their defaults filled in. */
export type PoolSettings = {
  readonly name: string;
  readonly max: number;
  readonly min: number;
  readonly connectTimeoutMs: number;
  readonly queryTimeoutMs: number;
  readonly lifetimeMs: number;
  readonly leakMs: number;
  readonly validateAfterMs: number;
  readonly transactionAttempts: number;
  readonly queryAttempts: number;
  /** What `pg.Pool` is created with. */
  readonly config: PoolConfig;
};

function validatePositiveOrZero(value: unknown, name: string): void {
  assertNonNegativeNumber(value, name, true);
}

/** Checks the options of `createPool()`, throwing a `TypeError` naming the first bad one. */
export function resolvePoolOptions(options: PoolOptions): PoolSettings {
  assertOptions(options);
  assertKnownKeys(options, POOL_KEYS, "createPool()", POOL_FOREIGN_KEYS);
  const {
    connectionString,
    connection = {},
    name = "pool",
    max = 20,
    min = 0,
    idleTimeoutMillis = 30_000,
    connectionTimeoutMillis = 2000,
    statementTimeoutMs = 30_000,
    maxLifetimeSeconds = 1800,
    applicationName,
    leakDetectionMs = 0,
    validateAfterIdleMs = 0,
    transactionAttempts = 3,
    queryAttempts = 3,
  } = options;
  const { queryTimeoutMs = statementTimeoutMs > 0 ? statementTimeoutMs + 5000 : 35_000 } = options;
  assertString(connectionString, "connectionString", true);
  assertOptions(connection, "connection");
  assertKnownKeys(
    connection,
    CONNECTION_KEYS,
    "createPool() `connection`",
    CONNECTION_FOREIGN_KEYS,
  );
  assertString(name, "name");
  assertPositiveInteger(max, "max");
  assertNonNegativeInteger(min, "min");
  if (min > max) {
    throw new TypeError(`Expected \`min\` to be at most \`max\` (${max}), got ${min}`);
  }
  validatePositiveOrZero(idleTimeoutMillis, "idleTimeoutMillis");
  assertPositiveNumber(connectionTimeoutMillis, "connectionTimeoutMillis");
  validatePositiveOrZero(statementTimeoutMs, "statementTimeoutMs");
  validatePositiveOrZero(queryTimeoutMs, "queryTimeoutMs");
  validatePositiveOrZero(maxLifetimeSeconds, "maxLifetimeSeconds");
  assertString(applicationName, "applicationName", true);
  validatePositiveOrZero(leakDetectionMs, "leakDetectionMs");
  validatePositiveOrZero(validateAfterIdleMs, "validateAfterIdleMs");
  assertPositiveInteger(transactionAttempts, "transactionAttempts");
  assertPositiveInteger(queryAttempts, "queryAttempts");

  const config: PoolConfig = {
    keepAlive: true,
    ...connection,
    max,
    min,
    idleTimeoutMillis,
    connectionTimeoutMillis,
  };
  if (connectionString !== undefined) {
    assertConnectionString(connectionString);
    config.connectionString = connectionString;
  }
  if (statementTimeoutMs > 0) config.statement_timeout = statementTimeoutMs;
  if (applicationName !== undefined) config.application_name = applicationName;

  return {
    name,
    max,
    min,
    connectTimeoutMs: connectionTimeoutMillis,
    queryTimeoutMs,
    lifetimeMs: maxLifetimeSeconds * 1000,
    leakMs: leakDetectionMs,
    validateAfterMs: validateAfterIdleMs,
    transactionAttempts,
    queryAttempts,
    config,
  };
}
