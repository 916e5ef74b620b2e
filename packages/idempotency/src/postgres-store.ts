import { randomUUID } from "node:crypto";
import {
  assertBoolean,
  assertKnownKeys,
  assertOptions,
  assertString,
  errorCode,
  findInCauses,
  optionKeys,
} from "@mcp-prod/internal";
import { closedStoreError } from "./memory-store.ts";
import { pollDelay } from "./polling.ts";
import {
  type Claim,
  type ClaimRequest,
  IdempotencyStore,
  type IdempotencyTransaction,
  type Lease,
  type StoredRecord,
} from "./store.ts";

type QueryResultLike = {
  readonly rows: Record<string, unknown>[];
  readonly rowCount: number | null;
};

/** A checked-out connection: a `pg` `PoolClient` or an `@mcp-prod/pool` connection. */
type ConnectionLike = {
  query(text: string, values?: unknown[]): Promise<QueryResultLike>;
  release(error?: Error): void;
};

/**
 * The part of a `pg.Pool` or an `@mcp-prod/pool` pool (`createPool()`) the
 * store relies on: `query`, and `connect()` (pg) or `acquire()` (mcp-prod)
 * for the transactional mode. Typed structurally so that neither needs
 * installing for the types.
 */
export type PostgresPoolLike = {
  query(text: string, values?: never[]): Promise<unknown>;
  connect?: () => Promise<unknown>;
  acquire?: (options?: { signal?: AbortSignal }) => Promise<unknown>;
};

/** Options of {@link createPostgresStore}. */
export type PostgresStoreOptions = {
  /** A `pg.Pool`, or `createPool()` of `@mcp-prod/pool`. */
  readonly pool: PostgresPoolLike;
  /**
   * Run each call with a key in a transaction that also records the key, and
   * hand it to the handler (`idempotencyTransaction(extra)`): the handler's
   * writes through it and the record commit together or not at all.
   * @default false
   */
  readonly transactional?: boolean;
  /**
   * The table of records (`schema.table` allowed), created when missing.
   * @default "mcp_prod_idempotency"
   */
  readonly table?: string;
  /**
   * Names the store in events and metrics.
   * @default "postgres"
   */
  readonly name?: string;
};

const POSTGRES_STORE_KEYS = optionKeys<PostgresStoreOptions>({
  pool: true,
  transactional: true,
  table: true,
  name: true,
});

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** PostgreSQL's codes for a lock wait past `lock_timeout`, and for a table created concurrently. */
const LOCK_NOT_AVAILABLE = "55P03";
const ALREADY_CREATED = new Set(["42P07", "23505"]);

function pgCode(error: unknown): string | undefined {
  return findInCauses(error, (candidate) => {
    const code = errorCode(candidate);
    return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  });
}

class PostgresStore extends IdempotencyStore {
  readonly name: string;
  override readonly transactional: boolean;
  readonly #pool: PostgresPoolLike;
  readonly #table: string;
  #ready: Promise<void> | undefined;
  #closed = false;

  constructor(pool: PostgresPoolLike, table: string, transactional: boolean, name: string) {
    super();
    this.#pool = pool;
    this.#table = table
      .split(".")
      .map((part) => `"${part}"`)
      .join(".");
    this.transactional = transactional;
    this.name = name;
  }

  /** The table's DDL; `CREATE TABLE IF NOT EXISTS` may race with another process's, which is harmless. */
  #ensureTable(): Promise<void> {
    this.#ready ??= this.#query(
      `CREATE TABLE IF NOT EXISTS ${this.#table} (
        key text PRIMARY KEY,
        fingerprint text NOT NULL,
        token text,
        state text NOT NULL,
        result text,
        expires_at bigint NOT NULL
      )`,
    ).then(
      () => undefined,
      (error: unknown) => {
        const code = pgCode(error);
        if (code !== undefined && ALREADY_CREATED.has(code)) return;
        this.#ready = undefined;
        throw error;
      },
    );
    return this.#ready;
  }

  #query(text: string, values?: unknown[], on?: ConnectionLike): Promise<QueryResultLike> {
    const target = on ?? (this.#pool as unknown as ConnectionLike);
    return target.query(text, values);
  }

  /** The statement that takes a free or expired key, answering the row only when taken. */
  get #insert(): string {
    return `INSERT INTO ${this.#table} AS r (key, fingerprint, token, state, result, expires_at)
      VALUES ($1, $2, $3, $4, NULL, $5)
      ON CONFLICT (key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, token = EXCLUDED.token,
        state = EXCLUDED.state, result = NULL, expires_at = EXCLUDED.expires_at
      WHERE r.expires_at <= $6
      RETURNING r.token`;
  }

  async #read(key: string, on?: ConnectionLike): Promise<StoredRecord | undefined> {
    const { rows } = await this.#query(
      `SELECT fingerprint, state, result, expires_at FROM ${this.#table} WHERE key = $1`,
      [key],
      on,
    );
    const row = rows[0];
    if (row === undefined || Number(row.expires_at) <= Date.now()) return undefined;
    const fingerprint = String(row.fingerprint);
    return row.state === "completed"
      ? { state: "completed", fingerprint, result: String(row.result) }
      : { state: "inProgress", fingerprint };
  }

  async claim(request: ClaimRequest): Promise<Claim> {
    if (this.#closed) throw closedStoreError(this.name);
    await this.#ensureTable();
    return this.transactional ? this.#claimInTransaction(request) : this.#claim(request);
  }

  async #claim(request: ClaimRequest): Promise<Claim> {
    const { key, fingerprint, inProgressTtlMs } = request;
    for (;;) {
      const now = Date.now();
      const token = randomUUID();
      const taken = await this.#query(this.#insert, [
        key,
        fingerprint,
        token,
        "inProgress",
        now + inProgressTtlMs,
        now,
      ]);
      if (taken.rowCount === 1) return { status: "acquired", lease: this.#lease(key, token) };
      const record = await this.#read(key);
      // Gone (finished without a record, or expired) between the two statements: take it again.
      if (record !== undefined) return { status: "found", record };
    }
  }

  #lease(key: string, token: string): Lease {
    return {
      complete: async (result, ttlMs) => {
        if (result === undefined) return this.#release(key, token);
        await this.#query(
          `UPDATE ${this.#table} SET state = 'completed', result = $3, token = NULL, expires_at = $4
            WHERE key = $1 AND token = $2`,
          [key, token, result, Date.now() + ttlMs],
        );
      },
      release: () => this.#release(key, token),
    };
  }

  async #release(key: string, token: string): Promise<void> {
    await this.#query(`DELETE FROM ${this.#table} WHERE key = $1 AND token = $2`, [key, token]);
  }

  async #connect(signal: AbortSignal | undefined): Promise<ConnectionLike> {
    const pool = this.#pool;
    if (typeof pool.acquire === "function")
      return (await pool.acquire(signal === undefined ? {} : { signal })) as ConnectionLike;
    if (typeof pool.connect === "function") return (await pool.connect()) as ConnectionLike;
    throw new TypeError(
      "Expected `pool` to have connect() (pg.Pool) or acquire() (@mcp-prod/pool)",
    );
  }

  /**
   * Opens the call's transaction and records the key in it. A duplicate's
   * insert waits on the uncommitted row (within `lock_timeout`) and then sees
   * the committed result, or takes the key when the first rolled back.
   */
  async #claimInTransaction(request: ClaimRequest): Promise<Claim> {
    const { key, fingerprint, waitMs, signal } = request;
    const connection = await this.#connect(signal);
    try {
      await connection.query("BEGIN");
      await connection.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.ceil(waitMs))}`);
      const now = Date.now();
      // The record commits only as completed: an in-progress one is the uncommitted row itself.
      const taken = await connection
        .query(this.#insert, [key, fingerprint, null, "completed", now + 1, now])
        .catch((error: unknown) => {
          if (pgCode(error) === LOCK_NOT_AVAILABLE) return undefined;
          throw error;
        });
      if (taken === undefined) {
        await this.#finish(connection, "ROLLBACK");
        return { status: "found", record: { state: "inProgress", fingerprint } };
      }
      if (taken.rowCount === 1)
        return { status: "acquired", lease: this.#transactionLease(connection, key) };
      const record = await this.#read(key, connection);
      await this.#finish(connection, "ROLLBACK");
      return { status: "found", record: record ?? { state: "inProgress", fingerprint } };
    } catch (error) {
      connection.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  #transactionLease(connection: ConnectionLike, key: string | undefined): Lease {
    const transaction: IdempotencyTransaction = {
      query: (text, values) => connection.query(text, values as unknown[]) as never,
    };
    let settled = false;
    const settle = async (statements: Array<[string, unknown[]?]>) => {
      if (settled) return;
      settled = true;
      try {
        for (const [text, values] of statements) await connection.query(text, values);
      } catch (error) {
        await connection.query("ROLLBACK").catch(() => undefined);
        connection.release(error instanceof Error ? error : new Error(String(error)));
        throw error;
      }
      connection.release();
    };
    return {
      transaction,
      complete: (result, ttlMs) => {
        if (key === undefined) return settle([["COMMIT"]]);
        return settle(
          result === undefined
            ? [[`DELETE FROM ${this.#table} WHERE key = $1`, [key]], ["COMMIT"]]
            : [
                [
                  `UPDATE ${this.#table} SET result = $2, expires_at = $3 WHERE key = $1`,
                  [key, result, Date.now() + ttlMs],
                ],
                ["COMMIT"],
              ],
        );
      },
      release: () => settle([["ROLLBACK"]]),
    };
  }

  async #finish(connection: ConnectionLike, statement: "ROLLBACK"): Promise<void> {
    await connection.query(statement);
    connection.release();
  }

  override async begin(signal: AbortSignal | undefined): Promise<Lease> {
    if (this.#closed) throw closedStoreError(this.name);
    const connection = await this.#connect(signal);
    try {
      await connection.query("BEGIN");
    } catch (error) {
      connection.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    return this.#transactionLease(connection, undefined);
  }

  async wait(key: string, timeoutMs: number, attempt: number, signal: AbortSignal | undefined) {
    if (this.#closed) throw closedStoreError(this.name);
    // In a transaction the claim itself waits on the running call's row.
    if (this.transactional) return;
    void key;
    await pollDelay(timeoutMs, attempt, signal);
  }

  close(): Promise<void> {
    this.#closed = true;
    this.removeAllListeners();
    return Promise.resolve();
  }
}

/**
 * A store in PostgreSQL, shared by every replica that uses the database,
 * through a `pg.Pool` or `@mcp-prod/pool`'s `createPool()`. It creates its
 * table when missing:
 *
 * ```sql
 * CREATE TABLE IF NOT EXISTS mcp_prod_idempotency (
 *   key text PRIMARY KEY, fingerprint text NOT NULL, token text,
 *   state text NOT NULL, result text, expires_at bigint NOT NULL
 * )
 * ```
 *
 * With `transactional: true` the handler gets the call's transaction through
 * `idempotencyTransaction(extra)`; the key is recorded in it, so a PostgreSQL
 * effect happens exactly once, even when the process dies mid-call. The pool
 * is the caller's: `close()` leaves it open.
 *
 * @example
 * ```ts
 * import { createPool } from "@mcp-prod/pool";
 * import { createPostgresStore, withIdempotency } from "@mcp-prod/idempotency";
 *
 * const pool = createPool({ connectionString: process.env.DATABASE_URL });
 * const store = createPostgresStore({ pool, transactional: true });
 * ```
 */
export function createPostgresStore(options: PostgresStoreOptions): IdempotencyStore {
  assertOptions(options);
  assertKnownKeys(options, POSTGRES_STORE_KEYS, "createPostgresStore()", {
    client: "use `pool` (a pg.Pool or createPool())",
    tableName: "use `table`",
  });
  const {
    pool,
    transactional = false,
    table = "mcp_prod_idempotency",
    name = "postgres",
  } = options;
  if (typeof pool !== "object" || pool === null || typeof pool.query !== "function")
    throw new TypeError("Expected `pool` to be a pg.Pool or @mcp-prod/pool's createPool()");
  assertBoolean(transactional, "transactional");
  if (transactional && typeof pool.connect !== "function" && typeof pool.acquire !== "function")
    throw new TypeError(
      "Expected `pool` to have connect() (pg.Pool) or acquire() (@mcp-prod/pool) for `transactional: true`",
    );
  assertString(table, "table");
  if (!table.split(".").every((part) => IDENTIFIER.test(part)) || table.split(".").length > 2)
    throw new TypeError(`Expected \`table\` to be a table name or schema.table, got "${table}"`);
  assertString(name, "name");
  return new PostgresStore(pool, table, transactional, name);
}
