import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { createPool, PoolError } from "./index.ts";

const PASSWORD = "hunter2-secret";

/** Every message of an error and its causes, as a user's log line would show them. */
function everything(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current !== undefined && current !== null; ) {
    parts.push(String((current as Error).message ?? current), String((current as Error).stack));
    current = (current as Error).cause;
  }
  return `${parts.join("\n")}\n${inspect(error, { depth: 10 })}`;
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("connection strings are checked at once and never printed with their password", () => {
  it.each([
    ["not a url", /not a valid URL/],
    ["http://x", /its scheme is "http", not postgres or postgresql/],
    [`mysql://app:${PASSWORD}@127.0.0.1/app`, /its scheme is "mysql"/],
    [`postgres://app:${PASSWORD}@127.0.0.1:99999/app`, /not a valid URL/],
    [`app:${PASSWORD}@127.0.0.1/app`, /its scheme is "app"/],
  ])("createPool({ connectionString: %j }) throws a TypeError at once", (connectionString, why) => {
    const error = thrown(() => createPool({ connectionString }));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/^Expected `connectionString` to be a PostgreSQL/);
    expect((error as Error).message).toMatch(why);
    expect(everything(error)).not.toContain(PASSWORD);
  });

  it("accepts postgres://, postgresql:// and a socket directory", async () => {
    for (const connectionString of [
      "postgres://app@127.0.0.1/app",
      "postgresql://app@127.0.0.1/app",
      "/var/run/postgresql app",
    ]) {
      await createPool({ connectionString }).close();
    }
  });

  it("a failed connection's errors and the pool's inspection hide the password", async () => {
    // Port 1 on loopback refuses at once.
    const pool = createPool({
      connectionString: `postgres://app:${PASSWORD}@127.0.0.1:1/app`,
      connectionTimeoutMillis: 300,
    });
    const error = await pool.query("SELECT 1").catch((caught: unknown) => caught);
    expect(PoolError.isInstance(error)).toBe(true);
    expect(everything(error)).not.toContain(PASSWORD);
    expect(inspect(pool, { depth: 10 })).not.toContain(PASSWORD);
    expect(JSON.stringify(pool.pg.options)).not.toContain(PASSWORD);
    await pool.close();
  });
});
