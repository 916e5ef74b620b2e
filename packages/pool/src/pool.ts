import {
  type Attributes,
  abortReason,
  assertBoolean,
  assertFunction,
  assertKnownKeys,
  assertNonNegativeInteger,
  assertNonNegativeNumber,
  assertOneOf,
  assertOptions,
  assertPositiveInteger,
  assertPositiveNumber,
  assertString,
  describeValue,
  Emitter,
  onAbort,
  redactSecrets,
  throwIfAborted,
} from "@mcp-prod/internal";
import type { PoolClient, PoolConfig, QueryConfig, QueryResult, QueryResultRow } from "pg";
import pg from "pg";
import { backoffDelay, sleep } from "./backoff.ts";
import { type CancellableClient, sendCancelRequest } from "./cancel-request.ts";
import { PoolError, type PoolStats, PoolTimeoutError, QueryTimeoutError } from "./errors.ts";
import { LatencyWindow } from "./latency.ts";
import {
  CONNECTION_FOREIGN_KEYS,
  CONNECTION_KEYS,
  type ConnectionOptions,
  POOL_FOREIGN_KEYS,
  POOL_KEYS,
  QUERY_KEYS,
  STATEMENT_KEYS,
  TRANSACTION_KEYS,
} from "./option-keys.ts";
import { databaseTarget, startStatementSpan, traced } from "./tracing.ts";
import { isConnectionError, isSerializationError } from "./transient.ts";

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

/**
 * Events of a pool, observed structurally by @mcp-prod/telemetry.
 *
 * @example
 * ```ts
 * pool.on("acquire", ({ waitMs }) => acquireHistogram.observe(waitMs / 1000));
 * pool.on("leak", ({ checkedOutMs, stack }) => logger.warn({ checkedOutMs, stack }, "connection leak"));
 * ```
 */
export type PoolEvents = {
  /** A new connection to the server was opened. */
  connect: () => void;
  /** A caller got a connection after `waitMs`. */
  acquire: (event: { readonly waitMs: number }) => void;
  /** A caller gave its connection back. */
  release: () => void;
  /** A connection-level failure: an idle connection died, a connect attempt or a validation failed. */
  error: (error: unknown) => void;
  /** A connection has been checked out longer than `leakDetectionMs`; `stack` says where it was taken. */
  leak: (event: { readonly checkedOutMs: number; readonly stack: string }) => void;
};

/**
 * Health of the pool's database, as `healthCheck()` reports it.
 *
 * @example
 * ```ts
 * const database: HealthStatus = await pool.healthCheck({ timeoutMs: 1000 });
 * ```
 */
export type HealthStatus = "healthy" | "unhealthy";

type ConnectionMeta = {
  expiresAt: number;
  idleSince: number;
  lease: Lease | undefined;
};

/**
 * A statement under a client-side timeout, watched by the pool's one deadline
 * timer; linked into the pool's list of them (a Set's add/delete per statement
 * cost more than the per-statement timer this replaces).
 */
type TimedStatement = {
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly giveUp: (reason: unknown) => void;
  previous: TimedStatement | undefined;
  next: TimedStatement | undefined;
};

type Lease = {
  readonly client: PoolClient;
  readonly meta: ConnectionMeta;
  readonly since: number;
  /** Where it was taken (an Error, whose stack is formatted only when read), or the statement it runs. */
  readonly origin: Error | QueryText | undefined;
  /** Set when the connection can no longer be trusted: it is closed on release. */
  broken: unknown;
  released: boolean;
  leakReported: boolean;
  /** Neighbours in the pool's list of checked-out leases. */
  previous: Lease | undefined;
  next: Lease | undefined;
};

const ISOLATION_LEVELS = ["read committed", "repeatable read", "serializable"] as const;
const CONNECT_RETRY_BASE_MS = 25;
const CONNECT_RETRY_CAP_MS = 1000;
const REFILL_RETRY_BASE_MS = 100;
const REFILL_RETRY_CAP_MS = 5000;
const LIFETIME_JITTER = 0.1;
const NO_OPTIONS: QueryOptions = Object.freeze({});

function noop(): void {}

/** pg's own timeout messages: the queue wait or the connect itself ran out of time. */
function isPgTimeout(error: unknown): boolean {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== undefined) return false;
  return (
    error.message === "timeout exceeded when trying to connect" ||
    error.message.startsWith("Connection terminated due to connection timeout")
  );
}

/** The `stack` of a `leak` event: where the connection was taken, or the statement holding it. */
function describeOrigin(origin: Error | QueryText | undefined): string {
  if (origin instanceof Error) return origin.stack ?? String(origin);
  if (origin === undefined) return "";
  const text = typeof origin === "string" ? origin : origin.text;
  const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return `Connection held by pool.query(${JSON.stringify(shown)})`;
}

function isFatal(error: unknown): boolean {
  const severity = (error as { severity?: unknown } | null)?.severity;
  return severity === "FATAL" || severity === "PANIC" || isConnectionError(error);
}

function validatePositiveOrZero(value: unknown, name: string): void {
  assertNonNegativeNumber(value, name, true);
}

/** Runs `promise` under an optional timeout and signal; `onGiveUp` learns that the caller stopped waiting. */
function bounded<T>(
  promise: Promise<T>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  onGiveUp: (reason: unknown) => void,
  makeTimeoutError: () => Error,
  onError?: (error: unknown) => void,
): Promise<T> {
  if (timeoutMs <= 0 && !signal) {
    if (!onError) return promise;
    return promise.catch((error: unknown) => {
      onError(error);
      throw error;
    });
  }
  if (signal?.aborted) {
    promise.catch(noop);
    const reason = abortReason(signal);
    onGiveUp(reason);
    return Promise.reject(reason);
  }
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const giveUp = (reason: unknown) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      removeAbort();
      promise.catch(noop);
      onGiveUp(reason);
      reject(reason);
    };
    const timer = timeoutMs > 0 ? setTimeout(() => giveUp(makeTimeoutError()), timeoutMs) : 0;
    const removeAbort = onAbort(signal, () => giveUp(abortReason(signal as AbortSignal)));
    promise.then(
      (value) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        removeAbort();
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        removeAbort();
        onError?.(error);
        reject(error);
      },
    );
  });
}

const CONNECTION_PROTOCOLS = new Set(["postgres:", "postgresql:", "socket:"]);

/**
 * pg parses the string only when it connects; parse it now so a typo fails at
 * start-up, with the password never in the message.
 */
function assertConnectionString(connectionString: string): void {
  let problem: string | undefined;
  let cause: unknown;
  // A string starting with "/" is a Unix socket directory (pg's shorthand).
  if (!connectionString.startsWith("/")) {
    try {
      const url = new URL(connectionString);
      if (!CONNECTION_PROTOCOLS.has(url.protocol))
        problem = `its scheme is "${url.protocol.slice(0, -1)}", not postgres or postgresql`;
      else new pg.Client({ connectionString });
    } catch (error) {
      cause = error;
      problem = "it is not a valid URL";
    }
  }
  if (problem === undefined) return;
  throw new TypeError(
    `Expected \`connectionString\` to be a PostgreSQL connection string (postgres://user:password@host:5432/database), got ${describeValue(shownConnectionString(connectionString))}: ${problem}`,
    cause === undefined ? undefined : { cause: new Error(redactSecrets(String(cause))) },
  );
}

/** The string as an error may show it: a password is masked even where the string is no URL. */
function shownConnectionString(value: string): string {
  const redacted = redactSecrets(value);
  const at = redacted.lastIndexOf("@");
  if (at === -1) return redacted;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(redacted)?.[0] ?? "";
  const userinfo = redacted.slice(scheme.length, at);
  const colon = userinfo.indexOf(":");
  if (colon === -1 || userinfo.slice(colon + 1) === "***") return redacted;
  return `${scheme}${userinfo.slice(0, colon)}:***${redacted.slice(at)}`;
}

function hideProperty(target: object, key: string): void {
  if (Object.hasOwn(target, key)) Object.defineProperty(target, key, { enumerable: false });
}

/**
 * A node-postgres pool with production behaviour around it. Create one with
 * {@link createPool}.
 */
export class Pool {
  /** The pool's name, as given in the options. */
  readonly name: string;
  /**
   * The underlying `pg.Pool`, for libraries that need one (an ORM, pg-cursor).
   * Work done through it bypasses this pool's timeouts, retries and stats.
   */
  readonly pg: pg.Pool;

  readonly #events = new Emitter<PoolEvents>();
  readonly #meta = new WeakMap<PoolClient | pg.Client, ConnectionMeta>();
  // Checked-out leases as a linked list: a Set's add/delete per checkout
  // measured about 1 µs a query, a third of the overhead over pg.Pool.
  #leases: Lease | undefined;
  #checkedOut = 0;
  readonly #latency = new LatencyWindow();
  readonly #max: number;
  readonly #min: number;
  readonly #connectTimeoutMs: number;
  readonly #queryTimeoutMs: number;
  readonly #lifetimeMs: number;
  readonly #leakMs: number;
  readonly #validateAfterMs: number;
  readonly #transactionAttempts: number;
  readonly #queryAttempts: number;
  #errors = 0;
  #pendingAcquires = 0;
  #closed = false;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;
  #refillTimer: NodeJS.Timeout | undefined;
  #refillAttempt = 0;
  #refilling = false;
  #leakTimer: NodeJS.Timeout | undefined;
  // One timer for every statement's client-side timeout, armed for the
  // earliest deadline: a setTimeout/clearTimeout pair per statement cost more
  // than the rest of query() over pg.Pool's own.
  #timed: TimedStatement | undefined;
  #deadlineTimer: NodeJS.Timeout | undefined;
  #deadlineAt = Number.POSITIVE_INFINITY;
  #ready: Promise<void>;
  #targetAttributes: Attributes | undefined;
  /** The database the spans name, worked out on the first traced statement. */
  readonly #target = (): Attributes => {
    this.#targetAttributes ??= databaseTarget(this.pg.options as PoolConfig);
    return this.#targetAttributes;
  };

  /** @internal Use {@link createPool}. */
  constructor(options: PoolOptions = {}) {
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
    const { queryTimeoutMs = statementTimeoutMs > 0 ? statementTimeoutMs + 5000 : 35_000 } =
      options;
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

    this.name = name;
    this.#max = max;
    this.#min = min;
    this.#connectTimeoutMs = connectionTimeoutMillis;
    this.#queryTimeoutMs = queryTimeoutMs;
    this.#lifetimeMs = maxLifetimeSeconds * 1000;
    this.#leakMs = leakDetectionMs;
    this.#validateAfterMs = validateAfterIdleMs;
    this.#transactionAttempts = transactionAttempts;
    this.#queryAttempts = queryAttempts;

    this.pg = new pg.Pool(config);
    // pg keeps the string (password included) as a plain property of its
    // options; hidden from util.inspect, console.log and JSON.stringify.
    hideProperty(this.pg.options, "connectionString");
    this.pg.on("connect", (client) => this.#onConnect(client));
    // pg emits `error` for an idle connection that died (server restart,
    // pg_terminate_backend, network cut) and has already dropped it; without a
    // listener that event would crash the process.
    this.pg.on("error", (error) => this.#recordError(error));
    this.pg.on("remove", () => this.#scheduleRefill(0));

    if (leakDetectionMs > 0) {
      this.#leakTimer = setInterval(
        () => this.#reportLeaks(),
        Math.max(10, Math.min(leakDetectionMs / 2, 1000)),
      );
      this.#leakTimer.unref();
    }
    this.#ready =
      min > 0
        ? this.#warm().catch((error: unknown) => {
            this.#retryRefill();
            throw error;
          })
        : Promise.resolve();
    this.#ready.catch(noop);
    // Handed around unbound: `checks: { database: pool.healthCheck }`, `cleanup: [pool.close]`.
    this.healthCheck = this.healthCheck.bind(this);
    this.close = this.close.bind(this);
  }

  /**
   * Listens to one of the pool's events; returns the function that removes the listener.
   *
   * @example
   * ```ts
   * const off = pool.on("error", (error) => logger.warn({ err: error }, "pool connection lost"));
   * ```
   */
  on<Name extends keyof PoolEvents>(name: Name, listener: PoolEvents[Name]): () => void {
    return this.#events.on(name, listener);
  }

  /** Like `on`, for the next event only. */
  once<Name extends keyof PoolEvents>(name: Name, listener: PoolEvents[Name]): () => void {
    return this.#events.once(name, listener);
  }

  /** Removes a listener added with `on`. */
  off<Name extends keyof PoolEvents>(name: Name, listener: PoolEvents[Name]): void {
    this.#events.off(name, listener);
  }

  /**
   * Resolves once the `min` connections are open (at once when `min` is 0);
   * rejects with the connection error when the first attempt fails, so a
   * server can refuse to start against a database it cannot reach. The pool
   * keeps retrying in the background either way.
   *
   * @example
   * ```ts
   * const pool = createPool({ connectionString: process.env.DATABASE_URL, min: 2 });
   * await pool.ready();
   * ```
   */
  ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * Runs one statement on a connection from the pool. Getting the connection
   * is retried (with backoff) within `connectionTimeoutMillis`; the statement
   * itself is retried after a connection failure only with `idempotent: true`.
   *
   * @example
   * ```ts
   * const { rows } = await pool.query<{ id: number; name: string }>(
   *   "SELECT id, name FROM users WHERE id = $1",
   *   [42],
   * );
   * ```
   */
  query<Row extends QueryResultRow = QueryResultRow>(
    text: QueryText,
    values?: ReadonlyArray<unknown>,
    options: QueryOptions = NO_OPTIONS,
  ): Promise<QueryResult<Row>> {
    if (options !== NO_OPTIONS) {
      try {
        assertKnownKeys(options, QUERY_KEYS, "pool.query()");
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const { signal, idempotent = false, timeoutMs = this.#queryTimeoutMs } = options;
    const attempts = idempotent ? this.#queryAttempts : 1;
    const span = startStatementSpan(text, this.#target);
    // Callbacks rather than nested promises: this is the path every statement
    // takes, and it must cost next to nothing over pg.Pool's own query().
    const pending = new Promise<QueryResult<Row>>((resolve, reject) => {
      const attempt = (number: number) => {
        // A statement's checkout ends with the statement (bounded by
        // queryTimeoutMs), so it records the SQL instead of paying for a stack.
        this.#acquireThen(signal, text, (acquireError, lease) => {
          if (!lease) {
            reject(acquireError);
            return;
          }
          // Checked out in this very tick: its checkout time is the statement's start.
          this.#runThen<Row>(
            lease,
            text,
            values,
            timeoutMs,
            signal,
            lease.since,
            (error, result) => {
              this.#release(lease);
              if (result) {
                resolve(result);
                return;
              }
              if (
                number >= attempts ||
                this.#closed ||
                signal?.aborted ||
                !isConnectionError(error)
              ) {
                reject(error);
                return;
              }
              sleep(backoffDelay(number, CONNECT_RETRY_BASE_MS, CONNECT_RETRY_CAP_MS), signal).then(
                () => attempt(number + 1),
                reject,
              );
            },
          );
        });
      };
      attempt(1);
    });
    return traced(pending, span);
  }

  /**
   * Runs `fn` inside `BEGIN … COMMIT` on one connection, rolling back when it
   * throws, and always returning the connection. A transaction that fails with
   * a serialization failure (40001) or deadlock (40P01) is rolled back and run
   * again whole, up to `transactionAttempts` times, so `fn` must be safe to
   * re-run. Inside `fn` use `tx.query`, never `pool.query` (with `max: 1`
   * that would wait for the connection the transaction holds).
   *
   * @example
   * ```ts
   * await pool.transaction(async (tx) => {
   *   await tx.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [10, 1]);
   *   await tx.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [10, 2]);
   * }, { isolationLevel: "serializable" });
   * ```
   */
  async transaction<T>(
    fn: (tx: Transaction, context: TransactionContext) => Promise<T> | T,
    options: TransactionOptions = {},
  ): Promise<T> {
    assertFunction(fn, "fn");
    assertOptions(options);
    assertKnownKeys(options, TRANSACTION_KEYS, "pool.transaction()");
    const {
      signal,
      isolationLevel,
      readOnly = false,
      maxAttempts = this.#transactionAttempts,
    } = options;
    assertOneOf(isolationLevel, "isolationLevel", ISOLATION_LEVELS, true);
    assertBoolean(readOnly, "readOnly");
    assertPositiveInteger(maxAttempts, "maxAttempts");
    let begin = "BEGIN";
    if (isolationLevel) begin += ` ISOLATION LEVEL ${isolationLevel.toUpperCase()}`;
    if (readOnly) begin += " READ ONLY";

    for (let attempt = 1; ; attempt += 1) {
      const lease = await this.#acquire(signal);
      const tx = this.#queryable(lease, signal);
      try {
        await this.#run(lease, begin, undefined, { signal });
        const result = await fn(tx, { signal, attempt });
        const commit = await this.#run(lease, "COMMIT", undefined, { signal });
        // PostgreSQL answers COMMIT of a transaction that already failed with
        // ROLLBACK and no error; report it instead of losing the writes silently.
        if (commit.command === "ROLLBACK") {
          throw new PoolError(
            "EROLLEDBACK",
            "The transaction was rolled back by the server: a statement in it failed and the error was caught",
          );
        }
        this.#release(lease);
        return result;
      } catch (error) {
        await this.#rollback(lease);
        this.#release(lease);
        if (attempt >= maxAttempts || !isSerializationError(error)) throw error;
        throwIfAborted(signal);
        await sleep(backoffDelay(attempt, CONNECT_RETRY_BASE_MS, CONNECT_RETRY_CAP_MS), signal);
      }
    }
  }

  /**
   * Checks a connection out for several statements (a session setting, a
   * cursor, an advisory lock). Release it in a `finally`; one held longer than
   * `leakDetectionMs` is reported as a `leak`.
   *
   * @example
   * ```ts
   * const connection = await pool.acquire();
   * try {
   *   await connection.query("SELECT pg_advisory_lock($1)", [7]);
   *   await connection.query("SELECT pg_advisory_unlock($1)", [7]);
   * } finally {
   *   connection.release();
   * }
   * ```
   */
  async acquire(
    options: { readonly signal?: AbortSignal | undefined } = {},
  ): Promise<PoolConnection> {
    const { signal } = options;
    const lease = await this.#acquire(signal);
    const queryable = this.#queryable(lease, undefined);
    return {
      query: queryable.query,
      release: (error?: Error) => this.#release(lease, error),
    };
  }

  /**
   * How the pool stands now, the shape @mcp-prod/telemetry reads.
   *
   * @example
   * ```ts
   * const { total, idle, waiting, acquireP99Ms } = pool.stats();
   * ```
   */
  stats(): PoolStats {
    const [acquireP50Ms = 0, acquireP99Ms = 0] = this.#latency.percentiles(0.5, 0.99);
    return {
      total: this.pg.totalCount,
      idle: this.pg.idleCount,
      waiting: this.pg.waitingCount,
      max: this.#max,
      checkedOut: this.#checkedOut,
      errors: this.#errors,
      acquireP50Ms,
      acquireP99Ms,
    };
  }

  /**
   * Runs `SELECT 1` through the pool under a timeout and never throws:
   * `"healthy"` when it answered, `"unhealthy"` otherwise (no connection,
   * timeout, closed pool).
   *
   * @example
   * ```ts
   * app.get("/health", async (_req, res) => {
   *   const database = await pool.healthCheck();
   *   res.status(database === "healthy" ? 200 : 503).json({ database });
   * });
   * ```
   */
  async healthCheck(
    options: { readonly timeoutMs?: number; readonly signal?: AbortSignal | undefined } = {},
  ): Promise<HealthStatus> {
    const { timeoutMs = this.#connectTimeoutMs + 1000, signal } = options;
    assertPositiveNumber(timeoutMs, "timeoutMs");
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new QueryTimeoutError(timeoutMs)), timeoutMs);
    const removeAbort = onAbort(signal, () => controller.abort(abortReason(signal as AbortSignal)));
    try {
      await this.query("SELECT 1", undefined, { signal: controller.signal, timeoutMs });
      return "healthy";
    } catch {
      return "unhealthy";
    } finally {
      clearTimeout(timer);
      removeAbort();
    }
  }

  /**
   * Stops taking new work (calls reject with `PoolError` code `EPOOLCLOSED`),
   * waits up to `timeoutMs` for work in flight to finish and connections to be
   * returned, then closes every connection, forcibly if some are still out.
   * Clears every timer the pool started; safe to call twice.
   *
   * @example
   * ```ts
   * process.once("SIGTERM", () => void pool.close({ timeoutMs: 5000 }));
   * ```
   */
  close(
    options: { readonly timeoutMs?: number; readonly signal?: AbortSignal | undefined } = {},
  ): Promise<void> {
    const { timeoutMs = 10_000, signal } = options;
    assertNonNegativeNumber(timeoutMs, "timeoutMs");
    if (this.#closing) return this.#closing;
    this.#closed = true;
    if (this.#refillTimer) clearTimeout(this.#refillTimer);
    if (this.#leakTimer) clearInterval(this.#leakTimer);
    this.#closing = (async () => {
      if (this.#checkedOut > 0 || this.#pendingAcquires > 0) {
        let timer: NodeJS.Timeout | undefined;
        let removeAbort = noop;
        await new Promise<void>((resolve) => {
          this.#drained = resolve;
          timer = setTimeout(resolve, timeoutMs);
          // An aborted signal (a shutdown running out of time) ends the drain at once.
          removeAbort = onAbort(signal, resolve);
        });
        clearTimeout(timer);
        removeAbort();
        this.#drained = undefined;
      }
      for (const lease of this.#checkedOutLeases()) {
        this.#release(lease, new PoolError("EPOOLCLOSED", `Pool "${this.name}" was closed`));
      }
      await this.pg.end();
      if (this.#deadlineTimer) clearTimeout(this.#deadlineTimer);
      this.#events.removeAllListeners();
    })();
    return this.#closing;
  }

  #queryable(lease: Lease, defaultSignal: AbortSignal | undefined): Queryable {
    return {
      query: <Row extends QueryResultRow = QueryResultRow>(
        text: QueryText,
        values?: ReadonlyArray<unknown>,
        options: StatementOptions = {},
      ): Promise<QueryResult<Row>> => {
        if (lease.released) {
          return Promise.reject(
            new PoolError(
              "ERELEASED",
              "This connection was already returned to the pool; statements on it are refused",
            ),
          );
        }
        try {
          assertKnownKeys(options, STATEMENT_KEYS, "tx.query()", {
            idempotent:
              "not supported inside a transaction or on an acquired connection: retrying one statement of it is never safe",
          });
        } catch (error) {
          return Promise.reject(error);
        }
        const signal = options.signal ?? defaultSignal;
        return this.#run<Row>(lease, text, values, { ...options, signal });
      },
    };
  }

  #run<Row extends QueryResultRow>(
    lease: Lease,
    text: QueryText,
    values: ReadonlyArray<unknown> | undefined,
    options: StatementOptions,
  ): Promise<QueryResult<Row>> {
    const { signal, timeoutMs = this.#queryTimeoutMs } = options;
    const span = startStatementSpan(text, this.#target);
    const pending = new Promise<QueryResult<Row>>((resolve, reject) => {
      this.#runThen<Row>(
        lease,
        text,
        values,
        timeoutMs,
        signal,
        performance.now(),
        (error, result) => (result ? resolve(result) : reject(error)),
      );
    });
    return traced(pending, span);
  }

  /**
   * Runs one statement on a held connection under the timeout (counted from
   * `startedAt`, a `performance.now()` of this tick) and signal; calls back exactly once.
   */
  #runThen<Row extends QueryResultRow>(
    lease: Lease,
    text: QueryText,
    values: ReadonlyArray<unknown> | undefined,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    startedAt: number,
    callback: (error: unknown, result?: QueryResult<Row>) => void,
  ): void {
    if (lease.broken !== undefined) {
      callback(lease.broken);
      return;
    }
    if (signal?.aborted) {
      callback(abortReason(signal));
      return;
    }
    let settled = false;
    let timed: TimedStatement | undefined;
    let removeAbort = noop;
    const giveUp = (reason: unknown) => {
      if (settled) return;
      settled = true;
      if (timed) this.#unwatch(timed);
      removeAbort();
      // The statement may still run on the server: ask the server to stop it,
      // and never reuse this connection.
      if (lease.broken === undefined) sendCancelRequest(lease.client as CancellableClient);
      lease.broken ??= reason;
      callback(reason);
    };
    if (timeoutMs > 0) {
      timed = {
        deadline: startedAt + timeoutMs,
        timeoutMs,
        giveUp,
        previous: undefined,
        next: this.#timed,
      };
      if (this.#timed) this.#timed.previous = timed;
      this.#timed = timed;
      if (timed.deadline < this.#deadlineAt) this.#armDeadline(timed.deadline, startedAt);
    }
    if (signal) removeAbort = onAbort(signal, () => giveUp(abortReason(signal)));
    const done = (error: Error | undefined, result: QueryResult<Row>) => {
      if (settled) return;
      settled = true;
      if (timed) this.#unwatch(timed);
      removeAbort();
      if (!error) {
        callback(undefined, result);
        return;
      }
      // After a FATAL error (pg_terminate_backend, shutdown) or a lost socket the
      // server is closing this connection; pg may not know yet, so never reuse it.
      if (isFatal(error)) this.#breakLease(lease, error);
      callback(error);
    };
    try {
      lease.client.query<Row>(text as string, values as unknown[], done);
    } catch (error) {
      done(error as Error, undefined as never);
    }
  }

  #unwatch(statement: TimedStatement): void {
    const { previous, next } = statement;
    if (previous) previous.next = next;
    else if (this.#timed === statement) this.#timed = next;
    if (next) next.previous = previous;
    statement.previous = undefined;
    statement.next = undefined;
  }

  #armDeadline(deadline: number, now: number): void {
    if (this.#deadlineTimer) clearTimeout(this.#deadlineTimer);
    this.#deadlineAt = deadline;
    this.#deadlineTimer = setTimeout(() => this.#expireStatements(), Math.max(1, deadline - now));
    // Only statements in flight need it, and their sockets keep the process alive.
    this.#deadlineTimer.unref();
  }

  /** Gives up on every statement past its deadline and re-arms for the next one. */
  #expireStatements(): void {
    this.#deadlineTimer = undefined;
    this.#deadlineAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    let statement = this.#timed;
    while (statement) {
      // Read before giveUp unlinks it; statements giveUp's callbacks start go to the head, already passed.
      const following: TimedStatement | undefined = statement.next;
      if (statement.deadline <= now) statement.giveUp(new QueryTimeoutError(statement.timeoutMs));
      else if (statement.deadline < next) next = statement.deadline;
      statement = following;
    }
    if (next < this.#deadlineAt) this.#armDeadline(next, now);
  }

  async #rollback(lease: Lease): Promise<void> {
    if (lease.broken) return;
    try {
      await this.#run(lease, "ROLLBACK", undefined, {});
    } catch (error) {
      lease.broken ??= error;
    }
  }

  #acquire(signal: AbortSignal | undefined): Promise<Lease> {
    // A connection held across the caller's own code (acquire(), transaction())
    // can leak, so its checkout records where it was taken: new Error() captures
    // the caller's frames now, and V8 formats them only if `.stack` is read.
    const origin = this.#leakMs > 0 ? new Error("Connection checked out here") : undefined;
    return new Promise((resolve, reject) => {
      this.#acquireThen(signal, origin, (error, lease) => (lease ? resolve(lease) : reject(error)));
    });
  }

  /**
   * Checks a connection out and calls back exactly once. The common case (an
   * idle or new connection that needs no check) stays in pg's callbacks;
   * anything else (a failed connect to retry, an expired or long-idle
   * connection, a signal that aborts) goes through the general path.
   */
  #acquireThen(
    signal: AbortSignal | undefined,
    origin: Error | QueryText | undefined,
    callback: (error: unknown, lease?: Lease) => void,
  ): void {
    if (this.#closed) {
      callback(this.#closedError());
      return;
    }
    if (signal?.aborted) {
      callback(abortReason(signal));
      return;
    }
    const started = performance.now();
    this.#pendingAcquires += 1;
    let settled = false;
    let removeAbort = noop;
    const finish = (error: unknown, lease?: Lease) => {
      if (settled) {
        // The caller stopped waiting (aborted): give the connection straight back.
        if (lease) this.#release(lease);
        return;
      }
      settled = true;
      removeAbort();
      this.#pendingAcquires -= 1;
      callback(error, lease);
      this.#checkDrained();
    };
    if (signal) removeAbort = onAbort(signal, () => finish(abortReason(signal)));
    const slowly = (first: { error: unknown } | { client: PoolClient }) => {
      this.#acquireSlowly(first, signal, started, origin).then(
        (lease) => finish(undefined, lease),
        (error: unknown) => finish(error),
      );
    };
    this.pg.connect((error, client) => {
      if (error || !client) {
        slowly({ error });
        return;
      }
      if (settled) {
        client.release();
        return;
      }
      const lease = this.#lease(client, started, origin);
      if (lease) finish(undefined, lease);
      else slowly({ client });
    });
  }

  /** The general path of checking out: connect retries, expiry, validation. */
  async #acquireSlowly(
    first: { error: unknown } | { client: PoolClient },
    signal: AbortSignal | undefined,
    started: number,
    origin: Error | QueryText | undefined,
  ): Promise<Lease> {
    let next: { error: unknown } | { client: PoolClient } | undefined = first;
    for (;;) {
      const client =
        next && "client" in next ? next.client : await this.#connectAgain(next, signal, started);
      next = undefined;
      const now = performance.now();
      const meta = this.#metaOf(client);
      if (this.#lifetimeMs > 0 && now >= meta.expiresAt) {
        client.release(true);
        continue;
      }
      if (this.#validateAfterMs > 0 && now - meta.idleSince > this.#validateAfterMs) {
        try {
          await bounded(
            client.query("SELECT 1"),
            Math.max(1, this.#connectTimeoutMs - (now - started)),
            signal,
            noop,
            () => new QueryTimeoutError(this.#connectTimeoutMs),
          );
          meta.idleSince = now;
        } catch (error) {
          client.release(error instanceof Error ? error : true);
          throwIfAborted(signal);
          this.#recordError(error);
          continue;
        }
      }
      const lease = this.#lease(client, started, origin);
      if (lease) return lease;
      client.release();
    }
  }

  /** A lease on `client`, or undefined when it has expired or must be validated first. */
  #lease(
    client: PoolClient,
    started: number,
    origin: Error | QueryText | undefined,
  ): Lease | undefined {
    const now = performance.now();
    const meta = this.#metaOf(client);
    if (now >= meta.expiresAt) return undefined;
    if (this.#validateAfterMs > 0 && now - meta.idleSince > this.#validateAfterMs) return undefined;
    const lease: Lease = {
      client,
      meta,
      since: now,
      origin,
      broken: undefined,
      released: false,
      leakReported: false,
      previous: undefined,
      next: this.#leases,
    };
    meta.lease = lease;
    if (this.#leases) this.#leases.previous = lease;
    this.#leases = lease;
    this.#checkedOut += 1;
    const waitMs = now - started;
    this.#latency.record(waitMs);
    if (this.#events.hasListeners("acquire")) this.#events.emit("acquire", { waitMs });
    return lease;
  }

  /** A connection from pg's pool, retrying failed connects with backoff until the deadline. */
  async #connectAgain(
    firstFailure: { readonly error: unknown } | undefined,
    signal: AbortSignal | undefined,
    started: number,
  ): Promise<PoolClient> {
    let lastError: unknown;
    for (let attempt = 0; ; attempt += 1) {
      let error: unknown;
      if (attempt === 0 && firstFailure) {
        error = firstFailure.error;
      } else {
        try {
          throwIfAborted(signal);
          const pending = this.pg.connect();
          // pg bounds the first wait by connectionTimeoutMillis itself; later
          // attempts get only what is left of the caller's budget.
          return await bounded(
            pending,
            attempt === 0 ? 0 : this.#connectTimeoutMs - (performance.now() - started),
            signal,
            () => {
              pending.then((client) => client.release(), noop);
            },
            () => this.#timeoutError(lastError),
          );
        } catch (caught) {
          error = caught;
        }
      }
      if (signal?.aborted) throw abortReason(signal);
      if (this.#closed) throw this.#closedError();
      if (PoolTimeoutError.isInstance(error)) throw error;
      if (isPgTimeout(error)) throw this.#timeoutError(lastError ?? error);
      this.#recordError(error);
      if (!isConnectionError(error)) throw error;
      lastError = error;
      const delay = backoffDelay(attempt, CONNECT_RETRY_BASE_MS, CONNECT_RETRY_CAP_MS);
      if (performance.now() - started + delay >= this.#connectTimeoutMs) {
        throw this.#timeoutError(error);
      }
      await sleep(delay, signal);
    }
  }

  #release(lease: Lease, error?: Error): void {
    if (lease.released) return;
    lease.released = true;
    const { previous, next } = lease;
    if (previous) previous.next = next;
    else this.#leases = next;
    if (next) next.previous = previous;
    lease.previous = undefined;
    lease.next = undefined;
    this.#checkedOut -= 1;
    const { client, meta } = lease;
    meta.lease = undefined;
    meta.idleSince = performance.now();
    let destroy: unknown = error ?? lease.broken;
    // A connection returned inside a transaction would hand the next caller
    // someone else's half-done work: close it instead.
    if (!destroy && typeof client.getTransactionStatus === "function") {
      const status = client.getTransactionStatus();
      if (status === "T" || status === "E") destroy = true;
    }
    if (!destroy && this.#lifetimeMs > 0 && meta.idleSince >= meta.expiresAt) destroy = true;
    client.release(destroy ? (destroy instanceof Error ? destroy : true) : undefined);
    if (this.#events.hasListeners("release")) this.#events.emit("release");
    this.#checkDrained();
  }

  /** A snapshot, so that releasing while walking it is safe. */
  #checkedOutLeases(): Lease[] {
    const leases: Lease[] = [];
    for (let lease = this.#leases; lease; lease = lease.next) leases.push(lease);
    return leases;
  }

  #metaOf(client: PoolClient): ConnectionMeta {
    let meta = this.#meta.get(client);
    if (!meta) {
      meta = this.#newMeta();
      this.#meta.set(client, meta);
    }
    return meta;
  }

  #newMeta(): ConnectionMeta {
    const now = performance.now();
    return {
      expiresAt:
        this.#lifetimeMs > 0
          ? now + this.#lifetimeMs * (1 - Math.random() * LIFETIME_JITTER)
          : Number.POSITIVE_INFINITY,
      idleSince: now,
      lease: undefined,
    };
  }

  #onConnect(client: pg.Client): void {
    const meta = this.#newMeta();
    this.#meta.set(client, meta);
    // pg listens for errors only on idle connections; one that dies while a
    // caller holds it would otherwise be an unhandled `error` event.
    client.on("error", (error) => {
      if (meta.lease) this.#breakLease(meta.lease, error);
    });
    this.#refillAttempt = 0;
    this.#events.emit("connect");
  }

  /** A held connection died: counted once, however many ways pg reports it. */
  #breakLease(lease: Lease, error: unknown): void {
    if (lease.broken !== undefined) return;
    lease.broken = error;
    this.#recordError(error);
  }

  #recordError(error: unknown): void {
    this.#errors += 1;
    this.#events.emit("error", error);
    this.#scheduleRefill(
      backoffDelay(this.#refillAttempt, REFILL_RETRY_BASE_MS, REFILL_RETRY_CAP_MS),
    );
  }

  #timeoutError(cause: unknown): PoolTimeoutError {
    return new PoolTimeoutError(
      this.name,
      this.#connectTimeoutMs,
      this.stats(),
      cause === undefined ? undefined : { cause },
    );
  }

  #closedError(): PoolError {
    return new PoolError("EPOOLCLOSED", `Pool "${this.name}" is closed`);
  }

  #checkDrained(): void {
    if (this.#drained && this.#checkedOut === 0 && this.#pendingAcquires === 0) this.#drained();
  }

  #reportLeaks(): void {
    const now = performance.now();
    for (const lease of this.#checkedOutLeases()) {
      const checkedOutMs = now - lease.since;
      if (lease.leakReported || checkedOutMs < this.#leakMs) continue;
      lease.leakReported = true;
      const stack = describeOrigin(lease.origin);
      this.#events.emit("leak", { checkedOutMs, stack });
    }
  }

  /** Opens connections until `min` are open: pg's own `min` only stops idle ones from closing. */
  async #warm(): Promise<void> {
    if (this.#closed) return;
    const held = this.pg.totalCount - this.pg.idleCount;
    const wanted = this.#min - held;
    if (this.pg.totalCount >= this.#min || wanted <= 0) return;
    this.#refilling = true;
    try {
      const results = await Promise.allSettled(
        Array.from({ length: wanted }, () => this.pg.connect()),
      );
      let failure: unknown;
      for (const result of results) {
        if (result.status === "fulfilled") result.value.release();
        else failure ??= result.reason;
      }
      if (failure !== undefined) {
        this.#recordError(failure);
        throw isPgTimeout(failure) ? this.#timeoutError(failure) : failure;
      }
      this.#refillAttempt = 0;
    } finally {
      this.#refilling = false;
    }
  }

  #scheduleRefill(delayMs: number): void {
    if (this.#closed || this.#min === 0 || this.#refillTimer || this.#refilling) return;
    if (this.pg.totalCount >= this.#min) return;
    this.#refillTimer = setTimeout(() => {
      this.#refillTimer = undefined;
      this.#warm().then(
        // Connections other callers were still opening may yet fail: look again later.
        () =>
          this.#scheduleRefill(
            backoffDelay(this.#refillAttempt, REFILL_RETRY_BASE_MS, REFILL_RETRY_CAP_MS),
          ),
        () => this.#retryRefill(),
      );
    }, delayMs);
    this.#refillTimer.unref();
  }

  #retryRefill(): void {
    this.#refillAttempt += 1;
    this.#scheduleRefill(
      backoffDelay(this.#refillAttempt, REFILL_RETRY_BASE_MS, REFILL_RETRY_CAP_MS),
    );
  }
}

/**
 * Creates a PostgreSQL pool on node-postgres' `pg.Pool` with production
 * defaults (`max` 20, idle 30 s, connect 2 s), typed timeouts, safe retries,
 * leak detection, stats and a health check.
 *
 * @example
 * ```ts
 * import { createPool } from "@mcp-prod/pool";
 *
 * const pool = createPool({ connectionString: process.env.DATABASE_URL });
 * const { rows } = await pool.query<{ now: Date }>("SELECT now() AS now");
 * await pool.close();
 * ```
 */
export function createPool(options?: PoolOptions): Pool {
  return new Pool(options);
}
