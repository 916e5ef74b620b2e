import { databaseUrl, freePort, type PrivatePostgres, startPostgres } from "@mcp-prod/testkit";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { PoolTimeoutError, QueryTimeoutError } from "./errors.ts";
import type { PoolOptions } from "./options.ts";
import { proxiedPool } from "./pool.test-helpers.ts";
import { createPool, type Pool } from "./pool.ts";
import { isTransientError } from "./transient.ts";

const schema = `pool_faults_${process.pid}_${Date.now()}`;
const admin = createPool({ connectionString: databaseUrl(), name: "admin" });
let appCounter = 0;

function open(options: PoolOptions = {}): Pool & { readonly applicationName: string } {
  appCounter += 1;
  const applicationName = `pool_faults_${process.pid}_${appCounter}`;
  const pool = createPool({ connectionString: databaseUrl(), applicationName, ...options });
  onTestFinished(() => pool.close({ timeoutMs: 1000 }));
  return Object.assign(pool, { applicationName });
}

/** Backends of one pool, found by its application_name, optionally only those running `like`. */
async function backends(applicationName: string, like = "%"): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE $2 ORDER BY pid",
    [applicationName, like],
  );
  return rows.map((row) => row.pid);
}

async function terminate(pids: ReadonlyArray<number>): Promise<void> {
  await admin.query("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", [pids]);
}

beforeAll(async () => {
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.doctors (name text PRIMARY KEY, on_call boolean)`);
});

afterAll(async () => {
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.close();
});

describe("connections killed under the pool", () => {
  it("counts and reports idle connections terminated by the server, does not crash, and heals to min", async () => {
    const pool = open({ min: 2, max: 4 });
    await pool.ready();
    const errors: unknown[] = [];
    pool.on("error", ({ error }) => errors.push(error));
    const before = await backends(pool.applicationName);
    expect(before).toHaveLength(2);
    await terminate(before);
    // Under load the server may report the second termination well after the first.
    await vi.waitFor(() => expect(errors).toHaveLength(2), { timeout: 10_000 });
    expect(errors.every((error) => isTransientError(error))).toBe(true);
    expect(errors[0]).toMatchObject({ code: "57P01" });
    await vi.waitFor(
      async () => {
        const after = await backends(pool.applicationName);
        expect(after).toHaveLength(2);
        expect(after.some((pid) => before.includes(pid))).toBe(false);
      },
      { timeout: 10_000 },
    );
    expect(pool.stats()).toMatchObject({ total: 2, idle: 2, errors: 2 });
    expect((await pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });

  it("fails a statement whose connection is terminated while it runs, without retrying it", async () => {
    const pool = open();
    // Caught at once: the rejection may arrive while the test is still terminating the backend.
    const running = pool.query("SELECT pg_sleep(30)").catch((caught: unknown) => caught);
    let pids: number[] = [];
    await vi.waitFor(async () => {
      pids = await backends(pool.applicationName, "SELECT pg_sleep(30)");
      expect(pids).toHaveLength(1);
    });
    await terminate(pids);
    // pg reports it as 57P01 or as "Connection terminated unexpectedly", depending on which arrives first.
    const error = await running;
    expect(error).toBeInstanceOf(Error);
    expect(isTransientError(error)).toBe(true);
    // The terminated backend can linger in pg_stat_activity for a moment; a retry would be a new one.
    const rerun = await backends(pool.applicationName, "SELECT pg_sleep(30)");
    expect(rerun.filter((pid) => !pids.includes(pid))).toEqual([]);
    expect((await pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });

  it("retries an idempotent statement whose connection is terminated while it runs", async () => {
    const pool = open();
    const text = "SELECT pg_sleep(0.3), 'answer' AS value";
    const running = pool.query<{ value: string }>(text, [], { idempotent: true });
    let pids: number[] = [];
    await vi.waitFor(async () => {
      pids = await backends(pool.applicationName, text);
      expect(pids).toHaveLength(1);
    });
    await terminate(pids);
    const { rows } = await running;
    expect(rows[0]?.value).toBe("answer");
    expect(pool.stats().errors).toBeGreaterThanOrEqual(1);
  });
});

describe("exhaustion", () => {
  it("gives the third of three long queries on max 2 a PoolTimeoutError carrying the stats", async () => {
    const pool = open({ max: 2, connectionTimeoutMillis: 1000 });
    const slow = () => pool.query<{ done: boolean }>("SELECT pg_sleep(2), true AS done");
    const results = await Promise.allSettled([slow(), slow(), slow()]);
    const fulfilled = results.filter((result) => result.status === "fulfilled");
    const rejected = results.flatMap((result) =>
      result.status === "rejected" ? [result.reason] : [],
    );
    expect(fulfilled).toHaveLength(2);
    expect(rejected).toHaveLength(1);
    const [error] = rejected;
    expect(PoolTimeoutError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      name: "PoolTimeoutError",
      code: "EPOOLTIMEOUT",
      timeoutMs: 1000,
      stats: { total: 2, checkedOut: 2, max: 2 },
    });
    expect((error as Error).message).toContain("checkedOut 2, max 2");
    expect(isTransientError(error)).toBe(true);
  });
});

describe("serialization failures", () => {
  it("re-runs a serializable transaction that lost a write conflict, and both commit", async () => {
    await admin.query(`INSERT INTO ${schema}.doctors VALUES ('alice', true), ('bob', true)`);
    const pool = open({ max: 4 });
    const attempts: Array<[string, number]> = [];
    let arrived = 0;
    let releaseBarrier: () => void = () => {};
    const barrier = new Promise<void>((resolve) => {
      releaseBarrier = resolve;
    });
    // Write skew: each checks that someone else is on call, then goes off call.
    // Under SERIALIZABLE one of the two must fail with 40001 and be retried.
    const goOffCall = (name: string) =>
      pool.transaction(
        async (tx, { attempt }) => {
          attempts.push([name, attempt]);
          const { rows } = await tx.query<{ count: string }>(
            `SELECT count(*) AS count FROM ${schema}.doctors WHERE on_call`,
          );
          if (attempt === 1) {
            arrived += 1;
            if (arrived === 2) releaseBarrier();
            await barrier;
          }
          if (Number(rows[0]?.count) < 2) return "stayed";
          await tx.query(`UPDATE ${schema}.doctors SET on_call = false WHERE name = $1`, [name]);
          return "left";
        },
        { isolationLevel: "serializable" },
      );
    const outcomes = await Promise.all([goOffCall("alice"), goOffCall("bob")]);
    expect(outcomes.sort()).toEqual(["left", "stayed"]);
    expect(attempts.filter(([, attempt]) => attempt === 2)).toHaveLength(1);
    const { rows } = await admin.query<{ count: string }>(
      `SELECT count(*) AS count FROM ${schema}.doctors WHERE on_call`,
    );
    expect(rows[0]?.count).toBe("1");
  });

  it("gives up after maxAttempts and rethrows the serialization failure", async () => {
    const pool = open();
    let runs = 0;
    const error = await pool
      .transaction(
        async () => {
          runs += 1;
          throw Object.assign(new Error("could not serialize access"), { code: "40001" });
        },
        { maxAttempts: 2 },
      )
      .catch((caught: unknown) => caught);
    expect(runs).toBe(2);
    expect(error).toMatchObject({ code: "40001" });
  });
});

describe("timeouts", () => {
  it("lets the server's statement timeout cancel pg_sleep and keeps the connection", async () => {
    const pool = open({ max: 1, statementTimeoutMs: 100 });
    const pid = (await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
    await expect(pool.query("SELECT pg_sleep(10)")).rejects.toMatchObject({ code: "57014" });
    expect((await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid).toBe(
      pid,
    );
  });

  it("rejects with QueryTimeoutError when the client-side timeout fires and replaces the connection", async () => {
    const pool = open({ max: 1, statementTimeoutMs: 0, queryTimeoutMs: 100 });
    const pid = (await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
    const error = await pool.query("SELECT pg_sleep(5)").catch((caught: unknown) => caught);
    expect(QueryTimeoutError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "EQUERYTIMEOUT", timeoutMs: 100 });
    expect(isTransientError(error)).toBe(false);
    // The server is asked to cancel the statement, not left running it.
    await vi.waitFor(async () =>
      expect(await backends(pool.applicationName, "SELECT pg_sleep(5)")).toEqual([]),
    );
    const next = (await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
    expect(next).not.toBe(pid);
  });
});

describe("the database going away and coming back", () => {
  let postgres: PrivatePostgres;
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres.stop();
  });

  it("fails fast while a private PostgreSQL is stopped and serves again once it is started, with no restart", async () => {
    const pool = createPool({
      connectionString: postgres.url,
      min: 1,
      connectionTimeoutMillis: 1000,
    });
    onTestFinished(() => pool.close({ timeoutMs: 1000 }));
    await pool.ready();
    expect((await pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    await postgres.stopServer();
    // The server's goodbye to the idle connection may still be unread when stopServer()
    // resolves; a statement sent on it now would get that FATAL error instead of a checkout.
    await vi.waitFor(() => expect(pool.stats().errors).toBeGreaterThan(0), { timeout: 10_000 });
    const error = await pool.query("SELECT 1").catch((caught: unknown) => caught);
    expect(PoolTimeoutError.isInstance(error)).toBe(true);
    expect(isTransientError(error)).toBe(true);
    expect((error as Error).message).toContain("last connection error");
    expect(pool.stats().errors).toBeGreaterThan(0);
    await postgres.startServer();
    await vi.waitFor(() => expect(pool.stats()).toMatchObject({ total: 1 }), { timeout: 15_000 });
    expect((await pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });

  it("recovers after a TCP proxy is taken down and brought back mid-run", async () => {
    const { pool, proxy } = await proxiedPool({ connectionTimeoutMillis: 1000 });
    expect((await pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    proxy.down();
    await vi.waitFor(() => expect(pool.stats().total).toBe(0));
    await expect(pool.query("SELECT 1")).rejects.toSatisfy((error) =>
      PoolTimeoutError.isInstance(error),
    );
    proxy.up();
    expect((await pool.query("SELECT 2 AS two")).rows).toEqual([{ two: 2 }]);
  });
});

describe("a connection lost without a code", () => {
  it("gives a statement whose socket is cut PoolError ECONNECTIONLOST, transient, with pg's error as its cause", async () => {
    const { pool, proxy } = await proxiedPool({ connectionTimeoutMillis: 1000 });
    const running = pool.query("SELECT pg_sleep(30)").catch((caught: unknown) => caught);
    await vi.waitFor(() => expect(pool.stats().checkedOut).toBe(1));
    proxy.cut();
    const error = await running;
    expect(error).toMatchObject({
      name: "PoolError",
      code: "ECONNECTIONLOST",
      cause: { message: "Connection terminated unexpectedly" },
    });
    expect(isTransientError(error)).toBe(true);
  });
});

describe("connect retries", () => {
  it("retries a refused connect with backoff and succeeds once the server is back, within the budget", async () => {
    const { pool, proxy } = await proxiedPool({ connectionTimeoutMillis: 5000 });
    proxy.down();
    const errors: unknown[] = [];
    pool.on("error", ({ error }) => {
      errors.push(error);
      // The server comes back right after the first failed attempt.
      proxy.up();
    });
    const { rows } = await pool.query<{ one: number }>("SELECT 1 AS one");
    expect(rows).toEqual([{ one: 1 }]);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(isTransientError(errors[0])).toBe(true);
    expect(proxy.connections).toBeGreaterThanOrEqual(2);
  });
});

describe("bad input fails clearly within the connect timeout", () => {
  it("gives PoolTimeoutError caused by ECONNREFUSED for a host nobody listens on", async () => {
    const port = await freePort();
    const pool = createPool({
      connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
      connectionTimeoutMillis: 300,
    });
    onTestFinished(() => pool.close({ timeoutMs: 1000 }));
    const error = await pool.query("SELECT 1").catch((caught: unknown) => caught);
    expect(PoolTimeoutError.isInstance(error)).toBe(true);
    expect((error as Error).cause).toMatchObject({ code: "ECONNREFUSED" });
  });

  it("rejects ready() when the min connections cannot be opened, and keeps trying in the background", async () => {
    const port = await freePort();
    const pool = createPool({
      connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
      min: 1,
      connectionTimeoutMillis: 300,
    });
    onTestFinished(() => pool.close({ timeoutMs: 1000 }));
    await expect(pool.ready()).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await vi.waitFor(() => expect(pool.stats().errors).toBeGreaterThanOrEqual(2));
  });

  it("gives the server's own error, once and without retrying, for credentials it rejects", async () => {
    // The shared server trusts every local user, so an unknown role stands in for a wrong password: both are class 28.
    const target = new URL(databaseUrl());
    target.username = "no_such_role";
    const pool = createPool({ connectionString: target.href, connectionTimeoutMillis: 2000 });
    onTestFinished(() => pool.close({ timeoutMs: 1000 }));
    const errors: unknown[] = [];
    pool.on("error", ({ error }) => errors.push(error));
    const error = await pool.query("SELECT 1").catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "28000" });
    expect(isTransientError(error)).toBe(false);
    expect(errors).toHaveLength(1);
  });

  it("gives the server's error for a database that does not exist", async () => {
    const target = new URL(databaseUrl());
    target.pathname = "/no_such_database";
    const pool = createPool({ connectionString: target.href });
    onTestFinished(() => pool.close({ timeoutMs: 1000 }));
    await expect(pool.query("SELECT 1")).rejects.toMatchObject({ code: "3D000" });
  });
});
