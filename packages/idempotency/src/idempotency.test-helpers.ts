import { randomUUID } from "node:crypto";
import { databaseUrl, redisUrl } from "@mcp-prod/testkit";
import { Redis } from "ioredis";
import pg from "pg";
import { onTestFinished } from "vitest";
import { IDEMPOTENCY_KEY_META } from "./index.ts";

/** A tool call's parameters with a client idempotency key in `_meta`. */
export function callWithKey(name: string, args: Record<string, unknown>, key: string) {
  return { name, arguments: args, _meta: { [IDEMPOTENCY_KEY_META]: key } };
}

/** A `pg.Pool` on the test database, ended when the test finishes. */
export function testPool(max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl(), max });
  onTestFinished(() => pool.end());
  return pool;
}

/** A table name of this test's own, dropped when the test finishes. */
export function testTable(pool: { query(text: string): Promise<unknown> }): string {
  const table = `idem_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  onTestFinished(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.query(`DROP TABLE IF EXISTS ${table}_effects`);
  });
  return table;
}

/** An ioredis client on the test server, closed when the test finishes. */
export function testRedis(url = redisUrl()): Redis {
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  onTestFinished(() => {
    redis.disconnect();
  });
  return redis;
}

/** A prefix of this test's own for Redis keys. */
export function testPrefix(): string {
  return `test:idempotency:${randomUUID()}:`;
}
