import {
  type Attributes,
  assertNonNegativeNumber,
  assertPositiveNumber,
  EventSource,
  noop,
  withDeadline,
} from "@mcp-prod/internal";
import type { PoolConfig, QueryResult, QueryResultRow } from "pg";
import pg from "pg";
import { Acquirer } from "./acquire.ts";
import { hideProperty } from "./connection-string.ts";
import { PoolError, type PoolStats, PoolTimeoutError, QueryTimeoutError } from "./errors.ts";
import { type Lease, Leases } from "./leases.ts";
import {
  type PoolOptions,
  type PoolSettings,
  type QueryOptions,
  resolvePoolOptions,
  type TransactionOptions,
} from "./options.ts";
import { NO_OPTIONS, type QueryHost, runQuery } from "./query.ts";
import { Refill } from "./refill.ts";
import { Statements } from "./statements.ts";
import { databaseTarget } from "./tracing.ts";
import { runTransaction, type TransactionHost } from "./transaction.ts";
import type {
  PoolConnection,
  PoolEvents,
  PoolHealth,
  QueryText,
  Transaction,
  TransactionContext,
} from "./types.ts";

const DRAIN_OVER = { value: undefined } as const;

/**
 * A node-postgres pool with production behaviour around it. Create one with
 * {@link createPool}. `on(event, listener)` (and `once`) listens to its
 * {@link PoolEvents} and returns the function that removes the listener.
 *
 * @example
 * ```ts
 * const off = pool.on("error", ({ error }) => logger.warn({ err: error }, "pool connection lost"));
 * ```
 */
export class Pool extends EventSource<PoolEvents> {
  /** The pool's name, as given in the options. */
  readonly name: string;
  /**
   * The underlying `pg.Pool`, for libraries that need one (an ORM, pg-cursor).
   * Work done through it bypasses this pool's timeouts, retries and stats.
   */
  readonly pg: pg.Pool;

  readonly #settings: PoolSettings;
  readonly #leases: Leases;
  readonly #statements: Statements;
  readonly #acquirer: Acquirer;
  readonly #refill: Refill;
  /** What `query()` and `transaction()` run on. */
  readonly #host: QueryHost & TransactionHost;
  #errors = 0;
  #closed = false;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;
  #leakTimer: NodeJS.Timeout | undefined;
  #ready: Promise<void>;
  #targetAttributes: Attributes | undefined;
  /** The database the spans name, worked out on the first traced statement. */
  readonly #target = (): Attributes => {
    this.#targetAttributes ??= databaseTarget(this.pg.options as PoolConfig);
    return this.#targetAttributes;
  };

  /** @internal Use {@link createPool}. */
  constructor(options: PoolOptions = {}) {
    super();
    const settings = resolvePoolOptions(options);
    this.#settings = settings;
    this.name = settings.name;
    this.pg = new pg.Pool(settings.config);
    // pg keeps the string (password included) as a plain property of its
    // options; hidden from util.inspect, console.log and JSON.stringify.
    hideProperty(this.pg.options, "connectionString");

    const isClosed = () => this.#closed;
    const recordError = (error: unknown) => this.#recordError(error);
    const timeoutError = (cause: unknown) => this.#timeoutError(cause);
    const release = (lease: Lease) => this.#release(lease);
    this.#leases = new Leases(settings.lifetimeMs, settings.validateAfterMs);
    this.#statements = new Statements(settings.queryTimeoutMs, this.#target, (lease, error) =>
      this.#breakLease(lease, error),
    );
    this.#acquirer = new Acquirer({
      pg: this.pg,
      leases: this.#leases,
      acquired: (waitMs) => {
        if (this.hasListeners("acquire")) this.emit("acquire", { waitMs });
      },
      connectTimeoutMs: settings.connectTimeoutMs,
      leakMs: settings.leakMs,
      isClosed,
      closedError: () => this.#closedError(),
      timeoutError,
      recordError,
      release,
      checkDrained: () => this.#checkDrained(),
    });
    this.#refill = new Refill({
      pg: this.pg,
      min: settings.min,
      isClosed,
      recordError,
      timeoutError,
    });
    this.#host = {
      acquirer: this.#acquirer,
      statements: this.#statements,
      attempts: settings.transactionAttempts,
      queryAttempts: settings.queryAttempts,
      queryTimeoutMs: settings.queryTimeoutMs,
      target: this.#target,
      isClosed,
      release,
    };

    this.pg.on("connect", (client) => this.#onConnect(client));
    // pg emits `error` for an idle connection that died (server restart,
    // pg_terminate_backend, network cut) and has already dropped it; without a
    // listener that event would crash the process.
    this.pg.on("error", recordError);
    this.pg.on("remove", () => this.#refill.schedule(0));

    if (settings.leakMs > 0) {
      this.#leakTimer = this.#leases.watchLeaks(settings.leakMs, (event) =>
        this.emit("leak", event),
      );
    }
    this.#ready = settings.min > 0 ? this.#refill.start() : Promise.resolve();
    this.#ready.catch(noop);
    // Handed around unbound: `checks: { database: pool.healthCheck }`, `cleanup: [pool.close]`.
    this.healthCheck = this.healthCheck.bind(this);
    this.close = this.close.bind(this);
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
    return runQuery(this.#host, text, values, options);
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
  transaction<T>(
    fn: (tx: Transaction, context: TransactionContext) => Promise<T> | T,
    options: TransactionOptions = {},
  ): Promise<T> {
    return runTransaction(this.#host, fn, options);
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
    const lease = await this.#acquirer.acquire(signal);
    const queryable = this.#statements.queryable(lease, undefined);
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
    const [acquireP50Ms = 0, acquireP99Ms = 0] = this.#leases.latency.percentiles(0.5, 0.99);
    return {
      total: this.pg.totalCount,
      idle: this.pg.idleCount,
      waiting: this.pg.waitingCount,
      max: this.#settings.max,
      checkedOut: this.#leases.checkedOut,
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
  ): Promise<PoolHealth> {
    const { timeoutMs = this.#settings.connectTimeoutMs + 1000, signal } = options;
    assertPositiveNumber(timeoutMs, "timeoutMs");
    try {
      await withDeadline(
        (own) => this.query("SELECT 1", undefined, { signal: own, timeoutMs }),
        timeoutMs,
        { signal, onTimeout: () => new QueryTimeoutError(timeoutMs) },
      );
      return "healthy";
    } catch {
      return "unhealthy";
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
    this.#refill.close();
    if (this.#leakTimer) clearInterval(this.#leakTimer);
    this.#closing = (async () => {
      if (this.#leases.checkedOut > 0 || this.#acquirer.pending > 0) {
        const drained = new Promise<void>((resolve) => {
          this.#drained = resolve;
        });
        // A soft deadline: at `timeoutMs` the close goes on with what is still out;
        // an aborted signal (a shutdown running out of time) goes on at once.
        await withDeadline(drained, timeoutMs, {
          signal,
          softTimeout: () => DRAIN_OVER,
          unref: false,
        }).catch(noop);
        this.#drained = undefined;
      }
      for (const lease of this.#leases.snapshot()) {
        this.#release(lease, new PoolError("EPOOLCLOSED", `Pool "${this.name}" was closed`));
      }
      await this.pg.end();
      this.#statements.close();
      this.removeAllListeners();
    })();
    return this.#closing;
  }

  #release(lease: Lease, error?: Error): void {
    if (!this.#leases.checkIn(lease, error)) return;
    this.emit("release");
    this.#checkDrained();
  }

  #onConnect(client: pg.Client): void {
    const meta = this.#leases.track(client);
    // pg listens for errors only on idle connections; one that dies while a
    // caller holds it would otherwise be an unhandled `error` event.
    client.on("error", (error) => {
      if (meta.lease) this.#breakLease(meta.lease, error);
    });
    this.#refill.connected();
    this.emit("connect");
  }

  /** A held connection died: counted once, however many ways pg reports it. */
  #breakLease(lease: Lease, error: unknown): void {
    if (lease.broken !== undefined) return;
    lease.broken = error;
    this.#recordError(error);
  }

  #recordError(error: unknown): void {
    this.#errors += 1;
    this.emit("error", { error });
    this.#refill.afterError();
  }

  #timeoutError(cause: unknown): PoolTimeoutError {
    return new PoolTimeoutError(
      this.name,
      this.#settings.connectTimeoutMs,
      this.stats(),
      cause === undefined ? undefined : { cause },
    );
  }

  #closedError(): PoolError {
    return new PoolError("EPOOLCLOSED", `Pool "${this.name}" is closed`);
  }

  #checkDrained(): void {
    if (this.#drained && this.#leases.checkedOut === 0 && this.#acquirer.pending === 0) {
      this.#drained();
    }
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
