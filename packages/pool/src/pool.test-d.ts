import type { QueryResult } from "pg";
import { describe, expectTypeOf, it } from "vitest";
import {
  createPool,
  type PoolEvents,
  type PoolStats,
  type QueryOptions,
  type Transaction,
} from "./index.ts";

const pool = createPool({ connectionString: "postgres://localhost/db" });

describe("types", () => {
  it("types rows by the query's type argument", () => {
    expectTypeOf(pool.query<{ id: number; name: string }>("SELECT 1")).toEqualTypeOf<
      Promise<QueryResult<{ id: number; name: string }>>
    >();
  });

  it("returns what the transaction callback returns", () => {
    expectTypeOf(pool.transaction(async () => 42)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(pool.transaction).parameter(0).parameter(0).toEqualTypeOf<Transaction>();
  });

  it("accepts an optional signal as the SDK gives it (possibly undefined)", () => {
    const signal: AbortSignal | undefined = undefined;
    expectTypeOf({ signal, idempotent: true }).toMatchTypeOf<QueryOptions>();
  });

  it("types each event's listener", () => {
    expectTypeOf(pool.on).toBeCallableWith("acquire", ({ waitMs }: { readonly waitMs: number }) => {
      void waitMs;
    });
    expectTypeOf<Parameters<PoolEvents["leak"]>[0]>().toEqualTypeOf<{
      readonly checkedOutMs: number;
      readonly stack: string;
    }>();
    expectTypeOf<Parameters<PoolEvents["error"]>>().toEqualTypeOf<[{ readonly error: unknown }]>();
    expectTypeOf(pool.healthCheck()).toEqualTypeOf<Promise<"healthy" | "unhealthy">>();
  });

  it("keeps the stats shape telemetry reads", () => {
    expectTypeOf(pool.stats()).toEqualTypeOf<PoolStats>();
    expectTypeOf<keyof PoolStats>().toEqualTypeOf<
      | "total"
      | "idle"
      | "waiting"
      | "max"
      | "checkedOut"
      | "errors"
      | "acquireP50Ms"
      | "acquireP99Ms"
    >();
    expectTypeOf(pool.name).toEqualTypeOf<string>();
  });

  it("rejects unknown options and wrong option types", () => {
    // @ts-expect-error max is a number
    createPool({ max: "20" });
    // @ts-expect-error statement_timeout is set through statementTimeoutMs
    createPool({ connection: { statement_timeout: 5 } });
  });
});
