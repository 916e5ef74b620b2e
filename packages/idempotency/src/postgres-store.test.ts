import { createPool } from "@mcp-prod/pool";
import { databaseUrl, deferred, serveInMemory, textResult as text } from "@mcp-prod/testkit";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { z } from "zod";
import { callWithKey, testPool, testTable } from "./idempotency.test-helpers.ts";
import {
  createPostgresStore,
  IDEMPOTENCY_META_KEY,
  IdempotencyError,
  idempotencyTransaction,
  withIdempotency,
} from "./index.ts";

describe("createPostgresStore", () => {
  it("creates its table and answers a duplicate with the stored result, on a pg.Pool", async () => {
    const pool = testPool();
    const table = testTable(pool);
    const store = createPostgresStore({ pool, table });
    let sent = 0;
    const { client } = await serveInMemory((server) => {
      server.registerTool(
        "send",
        { inputSchema: { to: z.string() } },
        withIdempotency(
          async ({ to }) => {
            sent += 1;
            return text(`sent to ${to}`);
          },
          { store, name: "send" },
        ),
      );
    });
    await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    const second = await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    const mismatch = await client.callTool(callWithKey("send", { to: "bob" }, "k1"));
    expect(second).toEqual({
      content: [{ type: "text", text: "sent to ada" }],
      _meta: { [IDEMPOTENCY_META_KEY]: { replayed: true } },
    });
    expect(mismatch._meta?.[IDEMPOTENCY_META_KEY]).toEqual({ code: "EIDEMPOTENCYMISMATCH" });
    expect(sent).toBe(1);
    const { rows } = await pool.query(`SELECT state, token FROM ${table}`);
    expect(rows).toEqual([{ state: "completed", token: null }]);
  });

  it("drops the record of a call that threw, so that it runs again", async () => {
    const pool = testPool();
    const table = testTable(pool);
    const store = createPostgresStore({ pool, table });
    let calls = 0;
    const { client } = await serveInMemory((server) => {
      server.registerTool(
        "send",
        { inputSchema: { to: z.string() } },
        withIdempotency(
          async () => {
            calls += 1;
            if (calls === 1) throw new Error("provider down");
            return text("sent");
          },
          { store, name: "send" },
        ),
      );
    });
    expect((await client.callTool(callWithKey("send", { to: "ada" }, "k1"))).isError).toBe(true);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table}`);
    expect(rows[0]).toEqual({ n: 0 });
    expect(await client.callTool(callWithKey("send", { to: "ada" }, "k1"))).toEqual(text("sent"));
    expect(calls).toBe(2);
  });

  it("lets a call run again once an in-progress record left by a dead process expires", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const pool = testPool();
    const table = testTable(pool);
    const store = createPostgresStore({ pool, table });
    const never = deferred<void>();
    let started = 0;
    const { client } = await serveInMemory((server) => {
      server.registerTool(
        "send",
        { inputSchema: { to: z.string() } },
        withIdempotency(
          async () => {
            started += 1;
            if (started === 1) await never.promise;
            return text("sent");
          },
          { store, name: "send", inProgressTtlMs: 10_000, waitTimeoutMs: 60_000 },
        ),
      );
    });
    void client.callTool(callWithKey("send", { to: "ada" }, "k1")).catch(() => undefined);
    await vi.waitFor(() => expect(started).toBe(1));
    vi.setSystemTime(Date.now() + 10_001);
    expect(await client.callTool(callWithKey("send", { to: "ada" }, "k1"))).toEqual(text("sent"));
    expect(started).toBe(2);
    never.resolve();
  });
});

describe("createPostgresStore({ transactional: true })", () => {
  async function serveTransactional(
    pool: Parameters<typeof createPostgresStore>[0]["pool"],
    table: string,
    handler: (to: string, tx: ReturnType<typeof idempotencyTransaction>) => Promise<string>,
  ) {
    const store = createPostgresStore({ pool, table, transactional: true });
    const { client } = await serveInMemory((server) => {
      server.registerTool(
        "send",
        { inputSchema: { to: z.string() } },
        withIdempotency(
          async ({ to }, extra) => text(await handler(to, idempotencyTransaction(extra))),
          {
            store,
            name: "send",
            waitTimeoutMs: 20_000,
          },
        ),
      );
    });
    return client;
  }

  it("commits the handler's writes with the record, and answers a duplicate without writing again (@mcp-prod/pool)", async () => {
    const pool = createPool({ connectionString: databaseUrl(), max: 4 });
    onTestFinished(() => pool.close());
    const table = testTable(pool);
    await pool.query(`CREATE TABLE ${table}_effects (id serial PRIMARY KEY, recipient text)`);
    const client = await serveTransactional(pool, table, async (to, tx) => {
      const { rows } = await tx.query<{ id: number }>(
        `INSERT INTO ${table}_effects (recipient) VALUES ($1) RETURNING id`,
        [to],
      );
      return `notification ${rows[0]?.id}`;
    });
    const first = await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    const second = await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    expect(second.content).toEqual(first.content);
    expect(second._meta?.[IDEMPOTENCY_META_KEY]).toEqual({ replayed: true });
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table}_effects`);
    expect(rows[0]).toEqual({ n: 1 });
  });

  it("leaves neither the effect nor the record when the handler throws after writing", async () => {
    const pool = testPool();
    const table = testTable(pool);
    await pool.query(`CREATE TABLE ${table}_effects (id serial PRIMARY KEY, recipient text)`);
    let calls = 0;
    const client = await serveTransactional(pool, table, async (to, tx) => {
      calls += 1;
      await tx.query(`INSERT INTO ${table}_effects (recipient) VALUES ($1)`, [to]);
      if (calls === 1) throw new Error("crashed after writing");
      return "sent";
    });
    const failed = await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    expect(failed.isError).toBe(true);
    const effects = await pool.query(`SELECT count(*)::int AS n FROM ${table}_effects`);
    const records = await pool.query(`SELECT count(*)::int AS n FROM ${table}`);
    expect([effects.rows[0], records.rows[0]]).toEqual([{ n: 0 }, { n: 0 }]);
    expect(await client.callTool(callWithKey("send", { to: "ada" }, "k1"))).toEqual(text("sent"));
    const after = await pool.query(`SELECT count(*)::int AS n FROM ${table}_effects`);
    expect(after.rows[0]).toEqual({ n: 1 });
  });

  it("makes a concurrent duplicate wait on the running call's uncommitted record, then replay it", async () => {
    const pool = testPool();
    const table = testTable(pool);
    await pool.query(`CREATE TABLE ${table}_effects (id serial PRIMARY KEY, recipient text)`);
    const release = deferred<void>();
    let calls = 0;
    const client = await serveTransactional(pool, table, async (to, tx) => {
      calls += 1;
      await tx.query(`INSERT INTO ${table}_effects (recipient) VALUES ($1)`, [to]);
      await release.promise;
      return `sent to ${to}`;
    });
    const first = client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    await vi.waitFor(() => expect(calls).toBe(1));
    const second = client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    // The duplicate's insert blocks on the first call's row lock.
    await vi.waitFor(async () => {
      const { rows } = await pool.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO \"' || $1 || '\"%'",
        [table],
      );
      expect(rows[0]?.n).toBeGreaterThan(0);
    });
    release.resolve();
    const [a, b] = await Promise.all([first, second]);
    expect(b.content).toEqual(a.content);
    expect(b._meta?.[IDEMPOTENCY_META_KEY]).toMatchObject({ replayed: true });
    expect(calls).toBe(1);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table}_effects`);
    expect(rows[0]).toEqual({ n: 1 });
  });

  it("runs a call without a key in a transaction of its own, and refuses idempotencyTransaction elsewhere", async () => {
    const pool = testPool();
    const table = testTable(pool);
    await pool.query(`CREATE TABLE ${table}_effects (id serial PRIMARY KEY, recipient text)`);
    const client = await serveTransactional(pool, table, async (to, tx) => {
      await tx.query(`INSERT INTO ${table}_effects (recipient) VALUES ($1)`, [to]);
      return "sent";
    });
    expect(await client.callTool({ name: "send", arguments: { to: "ada" } })).toEqual(text("sent"));
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table}_effects`);
    expect(rows[0]).toEqual({ n: 1 });
    let thrown: unknown;
    try {
      idempotencyTransaction({});
    } catch (error) {
      thrown = error;
    }
    expect(IdempotencyError.isInstance(thrown) && thrown.code).toBe("EIDEMPOTENCYNOTRANSACTION");
  });

  it('refuses storeErrors: "open" and unknown options', () => {
    const pool = { query: async () => ({}), connect: async () => ({}) };
    const store = createPostgresStore({ pool, transactional: true });
    expect(() => withIdempotency(async () => text("x"), { store, storeErrors: "open" })).toThrow(
      "cannot be used with a transactional store",
    );
    expect(() => createPostgresStore({ pool, tabel: "x" } as never)).toThrow(
      "did you mean `table`?",
    );
    expect(() => createPostgresStore({ pool, table: "x; DROP" })).toThrow(TypeError);
  });
});
