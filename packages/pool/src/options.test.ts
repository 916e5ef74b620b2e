import { describe, expect, it } from "vitest";
import { createPool } from "./index.ts";

/** Options as a JavaScript caller or a config file would pass them: unchecked by tsc. */
const loose = (options: Record<string, unknown>) => options as never;

describe("unknown options are refused at once, naming the key and the right one", () => {
  it.each(["host", "user", "database", "password", "port"])(
    "pg-pool's top-level `%s` points to `connection.%s`",
    (key) => {
      expect(() => createPool(loose({ [key]: "x" }))).toThrow(
        new TypeError(
          `Unknown option \`${key}\` in createPool(): use \`connection.${key}\` (node-postgres connection settings go in \`connection\`)`,
        ),
      );
    },
  );

  it.each([
    ["statmentTimeoutMs", "; did you mean `statementTimeoutMs`?"],
    ["connectionTimeoutMS", "; did you mean `connectionTimeoutMillis`?"],
    ["statement_timeout", ": use `statementTimeoutMs`"],
  ])("createPool({ %s })", (key, suggestion) => {
    expect(() => createPool(loose({ [key]: 1 }))).toThrow(
      new TypeError(`Unknown option \`${key}\` in createPool()${suggestion}`),
    );
  });

  it("refuses typos inside `connection` and pool settings put there", () => {
    expect(() => createPool(loose({ connection: { hots: "db" } }))).toThrow(
      new TypeError("Unknown option `hots` in createPool() `connection`; did you mean `host`?"),
    );
    expect(() => createPool(loose({ connection: { max: 5 } }))).toThrow(
      new TypeError(
        "Unknown option `max` in createPool() `connection`: set `max` beside `connection`, not in it",
      ),
    );
  });

  it("query, transaction and statements refuse a misspelt option", async () => {
    const pool = createPool();
    await expect(pool.query("SELECT 1", [], loose({ idempotant: true }))).rejects.toThrow(
      new TypeError("Unknown option `idempotant` in pool.query(); did you mean `idempotent`?"),
    );
    await expect(
      pool.transaction(async () => 1, loose({ isolation: "serializable" })),
    ).rejects.toThrow(/Unknown option `isolation` in pool.transaction\(\)/);
    await pool.close();
  });

  it('transaction("notfn") is a TypeError naming `fn`, before any connection is taken', async () => {
    const pool = createPool();
    await expect(pool.transaction("notfn" as never)).rejects.toThrow(
      new TypeError('Expected `fn` to be a function, got "notfn"'),
    );
    expect(pool.stats().total).toBe(0);
    await pool.close();
  });
});
