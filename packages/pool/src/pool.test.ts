import { databaseUrl } from "@mcp-prod/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { PoolError } from "./errors.ts";
import type { PoolOptions } from "./options.ts";
import { proxiedPool } from "./pool.test-helpers.ts";
import { createPool, type Pool } from "./pool.ts";

const schema = `pool_test_${process.pid}_${Date.now()}`;
/** The pool that sets up and drops the test schema, open for the whole file. */
const admin = createPool({ connectionString: databaseUrl(), name: "admin" });

/** A pool for one test, closed when it finishes. */
function open(options: PoolOptions = {}): Pool {
  const pool = createPool({ connectionString: databaseUrl(), ...options });
  onTestFinished(() => pool.close({ timeoutMs: 1000 }));
  return pool;
}

beforeAll(async () => {
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.users (id int PRIMARY KEY, name text NOT NULL)`);
  await admin.query(`INSERT INTO ${schema}.users VALUES (1, 'ada'), (2, 'grace')`);
  await admin.query(`CREATE TABLE ${schema}.ledger (id serial PRIMARY KEY, amount int NOT NULL)`);
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.close();
});

describe("createPool options", () => {
  it("rejects invalid options with a TypeError naming the option", () => {
    expect(() => createPool({ max: 0 })).toThrow(
      new TypeError("Expected `max` to be a positive integer, got 0"),
    );
    expect(() => createPool({ min: 3, max: 2 })).toThrow(
      new TypeError("Expected `min` to be at most `max` (2), got 3"),
    );
    expect(() => createPool({ connectionTimeoutMillis: -1 })).toThrow(
      new TypeError("Expected `connectionTimeoutMillis` to be a positive finite number, got -1"),
    );
    expect(() => createPool({ statementTimeoutMs: Number.NaN })).toThrow(
      new TypeError("Expected `statementTimeoutMs` to be a non-negative finite number, got NaN"),
    );
    expect(() => createPool({ name: "" })).toThrow(
      new TypeError('Expected `name` to be a non-empty string, got ""'),
    );
  });

  it("rejects a malformed connection string at once instead of at the first query", () => {
    expect(() => createPool({ connectionString: "postgres://u@host:notaport/db" })).toThrow(
      new TypeError(
        'Expected `connectionString` to be a PostgreSQL connection string (postgres://user:password@host:5432/database), got "postgres://u@host:notaport/db": it is not a valid URL',
      ),
    );
  });

  it("uses production defaults on the underlying pg.Pool and passes pg options through", async () => {
    const pool = open({ connection: { keepAlive: false }, applicationName: "pool-test" });
    expect(pool.pg.options).toMatchObject({
      max: 20,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 2000,
      keepAlive: false,
    });
    const { rows } = await pool.query<{ name: string; timeout: string }>(
      "SELECT current_setting('application_name') AS name, current_setting('statement_timeout') AS timeout",
    );
    expect(rows[0]).toEqual({ name: "pool-test", timeout: "30s" });
  });
});

describe("query", () => {
  it("returns typed rows for a parameterised query", async () => {
    const pool = open();
    const { rows } = await pool.query<{ id: number; name: string }>(
      `SELECT id, name FROM ${schema}.users WHERE id = $1`,
      [2],
    );
    expect(rows).toEqual([{ id: 2, name: "grace" }]);
  });

  it("passes pg's errors through with their SQLSTATE code and keeps the connection", async () => {
    const pool = open({ max: 1 });
    await expect(pool.query(`SELECT * FROM ${schema}.missing`)).rejects.toMatchObject({
      code: "42P01",
    });
    expect(pool.stats()).toMatchObject({ total: 1, idle: 1, errors: 0 });
    expect((await pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });

  it("rejects with the signal's reason when aborted and closes the busy connection", async () => {
    const pool = open({ max: 1 });
    const controller = new AbortController();
    const pending = pool.query("SELECT pg_sleep(5)", [], { signal: controller.signal });
    await vi.waitFor(() => expect(pool.stats().checkedOut).toBe(1));
    controller.abort(new Error("client went away"));
    await expect(pending).rejects.toThrow("client went away");
    expect(pool.stats().checkedOut).toBe(0);
    expect((await pool.query("SELECT 2 AS two")).rows).toEqual([{ two: 2 }]);
  });

  it("stops waiting for a connection when aborted, and the connection it would have got goes back", async () => {
    const pool = open({ max: 1 });
    const held = await pool.acquire();
    const controller = new AbortController();
    const waiting = pool.query("SELECT 1", [], { signal: controller.signal });
    await vi.waitFor(() => expect(pool.stats().waiting).toBe(1));
    controller.abort(new Error("gave up waiting"));
    await expect(waiting).rejects.toThrow("gave up waiting");
    held.release();
    await vi.waitFor(() =>
      expect(pool.stats()).toMatchObject({ checkedOut: 0, idle: 1, total: 1 }),
    );
    expect((await pool.query("SELECT 3 AS three")).rows).toEqual([{ three: 3 }]);
  });

  it("rejects an already-aborted call without taking a connection", async () => {
    const pool = open();
    const reason = new Error("already cancelled");
    await expect(pool.query("SELECT 1", [], { signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
    expect(pool.stats().total).toBe(0);
  });
});

describe("transaction", () => {
  it("commits the statements of a callback that resolves", async () => {
    const pool = open();
    const total = await pool.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${schema}.ledger (amount) VALUES ($1)`, [5]);
      await tx.query(`INSERT INTO ${schema}.ledger (amount) VALUES ($1)`, [7]);
      const { rows } = await tx.query<{ sum: string }>(
        `SELECT sum(amount) AS sum FROM ${schema}.ledger WHERE amount IN (5, 7)`,
      );
      return Number(rows[0]?.sum);
    });
    expect(total).toBe(12);
    const { rows } = await pool.query(`SELECT amount FROM ${schema}.ledger WHERE amount IN (5, 7)`);
    expect(rows).toHaveLength(2);
    expect(pool.stats()).toMatchObject({ checkedOut: 0 });
  });

  it("rolls back and releases the connection when the callback throws", async () => {
    const pool = open({ max: 1 });
    await expect(
      pool.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${schema}.ledger (amount) VALUES (-1)`);
        throw new Error("business rule broken");
      }),
    ).rejects.toThrow("business rule broken");
    const { rows } = await pool.query(`SELECT 1 FROM ${schema}.ledger WHERE amount = -1`);
    expect(rows).toEqual([]);
    expect(pool.stats()).toMatchObject({ total: 1, idle: 1, checkedOut: 0 });
  });

  it("rolls back a transaction whose signal aborts mid-statement and closes its connection", async () => {
    const applicationName = `pool_tx_abort_${process.pid}`;
    const pool = open({ max: 1, applicationName });
    const controller = new AbortController();
    const running = pool.transaction(
      async (tx) => {
        await tx.query(`INSERT INTO ${schema}.ledger (amount) VALUES (-4)`);
        await tx.query("SELECT pg_sleep(30)");
      },
      { signal: controller.signal },
    );
    await vi.waitFor(async () => {
      const { rows } = await admin.query<{ count: string }>(
        "SELECT count(*) AS count FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active' AND application_name = $1",
        [applicationName],
      );
      expect(rows[0]?.count).toBe("1");
    });
    controller.abort(new Error("tool call cancelled"));
    await expect(running).rejects.toThrow("tool call cancelled");
    expect(pool.stats().checkedOut).toBe(0);
    await vi.waitFor(async () => {
      const { rows } = await pool.query(`SELECT 1 FROM ${schema}.ledger WHERE amount = -4`);
      expect(rows).toEqual([]);
    });
  });

  it("refuses to report success when a caught statement error made COMMIT a rollback", async () => {
    const pool = open();
    const failure = pool.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${schema}.ledger (amount) VALUES (-2)`);
      await tx.query("SELECT * FROM no_such_table").catch(() => undefined);
    });
    await expect(failure).rejects.toMatchObject({ name: "PoolError", code: "EROLLEDBACK" });
    const { rows } = await pool.query(`SELECT 1 FROM ${schema}.ledger WHERE amount = -2`);
    expect(rows).toEqual([]);
  });

  it("refuses statements on a transaction handle after the transaction ended", async () => {
    const pool = open();
    let escaped: { query: (text: string) => Promise<unknown> } | undefined;
    await pool.transaction(async (tx) => {
      escaped = tx;
    });
    await expect(escaped?.query("SELECT 1")).rejects.toMatchObject({ code: "ERELEASED" });
  });

  it("applies the isolation level and read-only mode", async () => {
    const pool = open();
    const seen = await pool.transaction(
      async (tx) =>
        (
          await tx.query<{ level: string; readOnly: string }>(
            `SELECT current_setting('transaction_isolation') AS level, current_setting('transaction_read_only') AS "readOnly"`,
          )
        ).rows[0],
      { isolationLevel: "serializable", readOnly: true },
    );
    expect(seen).toEqual({ level: "serializable", readOnly: "on" });
  });

  it("works with a single connection (max 1, min 1), as against an embedded database", async () => {
    const pool = open({ max: 1, min: 1 });
    await pool.ready();
    const results = await Promise.all([
      pool.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${schema}.ledger (amount) VALUES (101)`);
        return (await tx.query<{ n: number }>("SELECT 1 AS n")).rows[0]?.n;
      }),
      pool.query<{ n: number }>("SELECT 2 AS n").then((result) => result.rows[0]?.n),
      pool
        .transaction(async (tx) => {
          await tx.query(`INSERT INTO ${schema}.ledger (amount) VALUES (102)`);
          throw new Error("second transaction fails");
        })
        .catch((error: Error) => error.message),
    ]);
    expect(results).toEqual([1, 2, "second transaction fails"]);
    const { rows } = await pool.query<{ amount: number }>(
      `SELECT amount FROM ${schema}.ledger WHERE amount IN (101, 102) ORDER BY amount`,
    );
    expect(rows).toEqual([{ amount: 101 }]);
    expect(pool.stats()).toMatchObject({ total: 1, idle: 1, checkedOut: 0 });
  });
});

describe("acquire", () => {
  it("hands out one connection for several statements and takes it back once", async () => {
    const pool = open({ max: 1 });
    const connection = await pool.acquire();
    await connection.query("SET application_name = 'session-1'");
    const { rows } = await connection.query<{ name: string }>(
      "SELECT current_setting('application_name') AS name",
    );
    expect(rows).toEqual([{ name: "session-1" }]);
    expect(pool.stats().checkedOut).toBe(1);
    connection.release();
    connection.release();
    expect(pool.stats()).toMatchObject({ checkedOut: 0, idle: 1 });
  });

  it("closes a connection returned inside an open transaction instead of reusing it", async () => {
    const pool = open({ max: 1 });
    const connection = await pool.acquire();
    await connection.query("BEGIN");
    await connection.query(`INSERT INTO ${schema}.ledger (amount) VALUES (-3)`);
    connection.release();
    await vi.waitFor(() => expect(pool.stats().total).toBe(0));
    const { rows } = await pool.query(`SELECT 1 FROM ${schema}.ledger WHERE amount = -3`);
    expect(rows).toEqual([]);
  });
});

describe("stats and events", () => {
  it("reports connect, acquire and release events and the stats shape telemetry reads", async () => {
    const pool = open({ name: "orders", max: 3 });
    const events: string[] = [];
    const waits: number[] = [];
    pool.on("connect", () => events.push("connect"));
    pool.on("acquire", ({ waitMs }) => {
      events.push("acquire");
      waits.push(waitMs);
    });
    pool.on("release", () => events.push("release"));
    await pool.query("SELECT 1");
    await pool.query("SELECT 1");
    expect(events).toEqual(["connect", "acquire", "release", "acquire", "release"]);
    expect(waits.every((wait) => wait >= 0)).toBe(true);
    expect(pool.name).toBe("orders");
    const stats = pool.stats();
    expect(Object.keys(stats).sort()).toEqual(
      [
        "acquireP50Ms",
        "acquireP99Ms",
        "checkedOut",
        "errors",
        "idle",
        "max",
        "total",
        "waiting",
      ].sort(),
    );
    expect(stats).toMatchObject({
      total: 1,
      idle: 1,
      waiting: 0,
      max: 3,
      checkedOut: 0,
      errors: 0,
    });
    expect(stats.acquireP99Ms).toBeGreaterThanOrEqual(stats.acquireP50Ms);
    expect(stats.acquireP50Ms).toBeGreaterThan(0);
  });

  it("opens `min` connections at start (pg alone does not)", async () => {
    const pool = open({ min: 3 });
    await pool.ready();
    expect(pool.stats()).toMatchObject({ total: 3, idle: 3 });
  });

  it("reports a connection held past leakDetectionMs with the stack of where it was taken", async () => {
    vi.useFakeTimers({ toFake: ["performance", "setInterval", "clearInterval"] });
    const pool = open({ leakDetectionMs: 5000 });
    const leaks: Array<{ checkedOutMs: number; stack: string }> = [];
    pool.on("leak", (leak) => leaks.push(leak));
    const connection = await pool.acquire();
    vi.advanceTimersByTime(4000);
    expect(leaks).toEqual([]);
    vi.advanceTimersByTime(2000);
    expect(leaks).toHaveLength(1);
    expect(leaks[0]?.checkedOutMs).toBeGreaterThanOrEqual(5000);
    expect(leaks[0]?.stack).toContain("pool.test.ts");
    vi.advanceTimersByTime(10_000);
    expect(leaks).toHaveLength(1);
    connection.release();
  });

  it("reports a statement holding its connection past leakDetectionMs by its SQL, without a stack capture", async () => {
    vi.useFakeTimers({ toFake: ["performance", "setInterval", "clearInterval"] });
    const pool = open({ leakDetectionMs: 1000 });
    const leaks: Array<{ checkedOutMs: number; stack: string }> = [];
    pool.on("leak", (leak) => leaks.push(leak));
    const running = pool.query("SELECT pg_sleep(0.3)");
    await vi.waitFor(() => expect(pool.stats().checkedOut).toBe(1));
    vi.advanceTimersByTime(1500);
    expect(leaks).toEqual([
      {
        checkedOutMs: expect.any(Number),
        stack: 'Connection held by pool.query("SELECT pg_sleep(0.3)")',
      },
    ]);
    await running;
  });
});

describe("freshness", () => {
  it("recycles a connection that outlived maxLifetimeSeconds", async () => {
    vi.useFakeTimers({ toFake: ["performance"] });
    const pool = open({ max: 1, maxLifetimeSeconds: 60 });
    const pid = async () =>
      (await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
    const first = await pid();
    expect(await pid()).toBe(first);
    vi.advanceTimersByTime(61_000);
    const second = await pid();
    expect(second).not.toBe(first);
    expect(await pid()).toBe(second);
  });

  it("spreads expiry: connections opened together expire at different times", async () => {
    vi.useFakeTimers({ toFake: ["performance"] });
    let draw = 0;
    const random = vi.spyOn(Math, "random").mockImplementation(() => (draw++ % 8) / 8);
    const pool = open({ min: 8, max: 8, maxLifetimeSeconds: 1000 });
    await pool.ready();
    random.mockRestore();
    const pidsOfEight = async () => {
      const connections = await Promise.all(Array.from({ length: 8 }, () => pool.acquire()));
      const pids = await Promise.all(
        connections.map(
          async (connection) =>
            (await connection.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]
              ?.pid,
        ),
      );
      for (const connection of connections) connection.release();
      return pids;
    };
    const before = await pidsOfEight();
    // Lifetimes are 1000 s minus up to 10 %: 1000, 987.5, …, 912.5 s here.
    // At 955 s the four shortest have expired and are replaced, the others are kept.
    vi.advanceTimersByTime(955_000);
    const after = await pidsOfEight();
    expect(after.filter((pid) => before.includes(pid))).toHaveLength(4);
    expect(new Set(after).size).toBe(8);
  });

  it("validates a connection idle past validateAfterIdleMs, and only then", async () => {
    vi.useFakeTimers({ toFake: ["performance"] });
    const pool = open({ max: 1, validateAfterIdleMs: 10_000 });
    const lastQuery = async (pid: number | undefined) =>
      (
        await admin.query<{ query: string }>("SELECT query FROM pg_stat_activity WHERE pid = $1", [
          pid,
        ])
      ).rows[0]?.query;
    const pid = (await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
    vi.advanceTimersByTime(5000);
    (await pool.acquire()).release();
    expect(await lastQuery(pid)).toBe("SELECT pg_backend_pid() AS pid");
    vi.advanceTimersByTime(11_000);
    (await pool.acquire()).release();
    expect(await lastQuery(pid)).toBe("SELECT 1");
  });

  it("replaces a connection that fails validation and reports the failure", async () => {
    vi.useFakeTimers({ toFake: ["performance"] });
    const { pool, proxy } = await proxiedPool({ max: 1, validateAfterIdleMs: 10_000 });
    const errors: unknown[] = [];
    pool.on("error", ({ error }) => errors.push(error));
    const pid = async () =>
      (await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
    const first = await pid();
    // The network goes silent: nothing tells the idle connection it is gone.
    proxy.freeze();
    vi.advanceTimersByTime(11_000);
    const second = pid();
    await vi.waitFor(() => expect(pool.stats().idle).toBe(0));
    proxy.cut();
    proxy.unfreeze();
    expect(await second).not.toBe(first);
    expect(errors).toHaveLength(1);
    expect(pool.stats().errors).toBe(1);
  });
});

describe("healthCheck and close", () => {
  it("reports healthy when SELECT 1 answers and unhealthy when the database is unreachable", async () => {
    const pool = open();
    expect(await pool.healthCheck()).toBe("healthy");
    const unreachable = open({
      connectionString: "postgres://postgres@127.0.0.1:1/test",
      connectionTimeoutMillis: 200,
    });
    expect(await unreachable.healthCheck({ timeoutMs: 500 })).toBe("unhealthy");
  });

  it("keeps healthCheck and close working when passed around unbound", async () => {
    const pool = open();
    const { healthCheck, close } = pool;
    expect(await healthCheck()).toBe("healthy");
    await close();
    expect(await healthCheck()).toBe("unhealthy");
  });

  it("drains work in flight, then refuses new work with EPOOLCLOSED", async () => {
    const pool = open();
    const inFlight = pool.query<{ done: boolean }>("SELECT pg_sleep(0.2), true AS done");
    await vi.waitFor(() => expect(pool.stats().checkedOut).toBe(1));
    const closing = pool.close();
    await expect(pool.query("SELECT 1")).rejects.toSatisfy(
      (error) => PoolError.isInstance(error) && error.code === "EPOOLCLOSED",
    );
    expect((await inFlight).rows[0]?.done).toBe(true);
    await closing;
    expect(pool.stats()).toMatchObject({ total: 0, checkedOut: 0 });
    expect(await pool.healthCheck()).toBe("unhealthy");
  });

  it("stops draining as soon as close()'s signal aborts", async () => {
    const pool = open();
    const inFlight = pool.query("SELECT pg_sleep(5)");
    inFlight.catch(() => {});
    await vi.waitFor(() => expect(pool.stats().checkedOut).toBe(1));
    const controller = new AbortController();
    const closing = pool.close({ timeoutMs: 60_000, signal: controller.signal });
    controller.abort();
    await closing;
    expect(pool.stats()).toMatchObject({ total: 0, checkedOut: 0 });
    await expect(inFlight).rejects.toThrow();
  });

  it("force-closes connections still out after the drain timeout", async () => {
    const pool = open();
    const leaked = await pool.acquire();
    await pool.close({ timeoutMs: 50 });
    expect(pool.stats()).toMatchObject({ total: 0, checkedOut: 0 });
    await expect(leaked.query("SELECT 1")).rejects.toMatchObject({ code: "ERELEASED" });
    expect(() => leaked.release()).not.toThrow();
  });
});
