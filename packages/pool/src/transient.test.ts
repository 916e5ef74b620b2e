import { databaseUrl } from "@mcp-prod/testkit";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { PoolError, PoolTimeoutError, QueryTimeoutError } from "./errors.ts";
import { isTransientError } from "./transient.ts";

const stats = {
  total: 2,
  idle: 0,
  waiting: 1,
  max: 2,
  checkedOut: 2,
  errors: 0,
  acquireP50Ms: 0,
  acquireP99Ms: 0,
};

/** The error the real server gives for `sql`. */
async function serverError(sql: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    return await client.query(sql).then(
      () => undefined,
      (error: unknown) => error,
    );
  } finally {
    await client.end();
  }
}

describe("isTransientError", () => {
  it.each([
    ["40001", "serialization failure"],
    ["40P01", "deadlock"],
    ["57P01", "admin shutdown"],
    ["57P02", "crash shutdown"],
    ["57P03", "cannot connect now"],
    ["53300", "too many connections"],
    ["08006", "connection failure (class 08)"],
    ["08001", "unable to connect (class 08)"],
  ])("is true for SQLSTATE %s (%s)", (code) => {
    expect(isTransientError(Object.assign(new Error("x"), { code }))).toBe(true);
  });

  it.each([["ECONNREFUSED"], ["ECONNRESET"], ["ETIMEDOUT"], ["EPIPE"]])(
    "is true for the socket error %s",
    (code) => {
      expect(isTransientError(Object.assign(new Error("x"), { code }))).toBe(true);
    },
  );

  it("is true for a connection pg reported lost without a code, once the pool gave it ECONNECTIONLOST", () => {
    const lost = new PoolError("ECONNECTIONLOST", "The connection to the database was lost", {
      cause: new Error("Connection terminated unexpectedly"),
    });
    expect(isTransientError(lost)).toBe(true);
  });

  it("reads codes, never message text", () => {
    expect(isTransientError(new Error("Connection terminated unexpectedly"))).toBe(false);
    expect(isTransientError(new Error("connect ECONNREFUSED 127.0.0.1:5432"))).toBe(false);
  });

  it("is true for PoolTimeoutError and for an error caused by a connection failure", () => {
    expect(isTransientError(new PoolTimeoutError("main", 2000, stats))).toBe(true);
    const wrapped = new Error("lookup failed", {
      cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }),
    });
    expect(isTransientError(wrapped)).toBe(true);
  });

  it("is false for the server's errors about the request itself", async () => {
    const syntax = await serverError("SELEC 1");
    const missing = await serverError("SELECT * FROM no_such_table_for_transient_test");
    const division = await serverError("SELECT 1 / 0");
    expect(syntax).toMatchObject({ code: "42601" });
    expect(missing).toMatchObject({ code: "42P01" });
    expect(division).toMatchObject({ code: "22012" });
    for (const error of [syntax, missing, division]) expect(isTransientError(error)).toBe(false);
  });

  it("is false for a query timeout, a closed pool and things that are not errors", () => {
    expect(isTransientError(new QueryTimeoutError(100))).toBe(false);
    expect(isTransientError(new PoolError("EPOOLCLOSED", "closed"))).toBe(false);
    expect(isTransientError(Object.assign(new Error("x"), { code: "23505" }))).toBe(false);
    expect(isTransientError(undefined)).toBe(false);
    expect(isTransientError("ECONNRESET")).toBe(false);
  });
});

describe("errors", () => {
  it("carry a code, a literal name, the cause, and are recognised across copies by marker", () => {
    const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
      code: "ECONNREFUSED",
    });
    const error = new PoolTimeoutError("orders", 2000, stats, { cause });
    expect(error).toMatchObject({ name: "PoolTimeoutError", code: "EPOOLTIMEOUT", cause, stats });
    expect(error.message).toBe(
      'No connection from pool "orders" within 2000 ms (last connection error: connect ECONNREFUSED 127.0.0.1:1); total 2, idle 0, waiting 1, checkedOut 2, max 2',
    );
    expect(PoolTimeoutError.isInstance(error)).toBe(true);
    expect(PoolError.isInstance(error)).toBe(true);
    expect(QueryTimeoutError.isInstance(error)).toBe(false);
    const foreign = Object.assign(new Error("from another copy"), {
      [Symbol.for("mcp-prod.error.QueryTimeoutError")]: true,
    });
    expect(QueryTimeoutError.isInstance(foreign)).toBe(true);
    expect(new QueryTimeoutError(250)).toMatchObject({
      name: "QueryTimeoutError",
      code: "EQUERYTIMEOUT",
      timeoutMs: 250,
      message: "Query did not finish within 250 ms",
    });
  });
});
