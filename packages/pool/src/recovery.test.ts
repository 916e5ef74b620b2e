import { databaseUrl } from "@mcp-prod/testkit";
import { afterAll, describe, expect, it, onTestFinished, vi } from "vitest";
import type { PoolOptions } from "./options.ts";
import { createPool, type Pool } from "./pool.ts";

const admin = createPool({ connectionString: databaseUrl(), name: "refill-admin", max: 1 });

function open(options: PoolOptions): Pool {
  const pool = createPool({ connectionString: databaseUrl(), ...options });
  onTestFinished(() => pool.close({ timeoutMs: 1000 }));
  return pool;
}

afterAll(async () => {
  await admin.close();
});

async function pidsOf(applicationName: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid",
    [applicationName],
  );
  return rows.map((row) => row.pid);
}

describe("keeping min connections open", () => {
  it("reopens exactly what was lost while a connection is checked out, and no more", async () => {
    const applicationName = `refill_${process.pid}_${Date.now()}`;
    const pool = open({ min: 3, max: 6, applicationName });
    await pool.ready();
    const held = await pool.acquire();
    const heldPid = (await held.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]
      ?.pid;
    const idle = (await pidsOf(applicationName)).filter((pid) => pid !== heldPid);
    expect(idle).toHaveLength(2);
    let reopened = 0;
    pool.on("connect", () => {
      reopened += 1;
    });
    await admin.query("SELECT pg_terminate_backend($1)", [idle[0]]);
    await vi.waitFor(() => expect(pool.stats().errors).toBe(1), { timeout: 10_000 });
    // One connection held and one idle survive: min 3 wants one more, not min + held. `total`
    // counts connections still opening, so total = held + idle means none is under way.
    await vi.waitFor(() => expect(pool.stats()).toMatchObject({ total: 3, idle: 2 }), {
      timeout: 10_000,
    });
    expect(reopened).toBe(1);
    held.release();
  });
});

describe("transaction", () => {
  it("rolls back after the callback throws and hands the same connection to the next caller", async () => {
    const pool = open({ max: 1 });
    const before = (await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]
      ?.pid;
    await expect(
      pool.transaction(async (tx) => {
        await tx.query("SELECT 1");
        throw new Error("business rule broken");
      }),
    ).rejects.toThrow("business rule broken");
    const after = await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    // Rolled back, the connection is clean and reused; left in the transaction, it would be closed.
    expect(after.rows[0]?.pid).toBe(before);
    expect(pool.stats()).toMatchObject({ total: 1, errors: 0 });
  });
});
