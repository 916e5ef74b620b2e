import type { Pool } from "@mcp-prod/pool";
import { migrateUnderLock } from "@mcp-prod-examples/kit";

export type User = { id: number; name: string; email: string; createdAt: string };

type UserRow = { id: number; name: string; email: string; created_at: Date };

const toUser = (row: UserRow): User => ({
  id: row.id,
  name: row.name,
  email: row.email,
  createdAt: row.created_at.toISOString(),
});

/**
 * Creates the table on start (idempotent) and a few users to search for on an
 * empty database, one replica at a time: replicas started together would race
 * on `CREATE TABLE IF NOT EXISTS`.
 */
export async function migrate(pool: Pool): Promise<void> {
  await migrateUnderLock(pool, "user-management-mcp", async (tx) => {
    await tx.query(`CREATE TABLE IF NOT EXISTS users (
      id SERIAL PRIMARY KEY,
      name TEXT NOT NULL,
      email TEXT NOT NULL UNIQUE,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    await tx.query(
      `INSERT INTO users (name, email) VALUES
        ('Ada Lovelace', 'ada@example.com'),
        ('Grace Hopper', 'grace@example.com'),
        ('Alan Turing', 'alan@example.com')
      ON CONFLICT (email) DO NOTHING`,
    );
  });
}

export async function searchUsers(pool: Pool, query: string, limit: number): Promise<User[]> {
  const pattern = `%${query.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
  const { rows } = await pool.query<UserRow>(
    "SELECT id, name, email, created_at FROM users WHERE name ILIKE $1 OR email ILIKE $1 ORDER BY id LIMIT $2",
    [pattern, limit],
    { idempotent: true },
  );
  return rows.map(toUser);
}

export async function getUser(pool: Pool, id: number): Promise<User | undefined> {
  const { rows } = await pool.query<UserRow>(
    "SELECT id, name, email, created_at FROM users WHERE id = $1",
    [id],
    { idempotent: true },
  );
  return rows[0] ? toUser(rows[0]) : undefined;
}

/** Where a write runs: the pool, or the transaction that records its idempotency key with it. */
export type Statements = {
  query(text: string, values?: ReadonlyArray<unknown>): Promise<{ rows: unknown[] }>;
};

/**
 * Inserts a user, or answers `"exists"` when the email is taken. `ON CONFLICT`
 * rather than catching the unique violation: an error would abort the
 * transaction the idempotency record is written in.
 */
export async function createUser(
  db: Statements,
  input: { name: string; email: string },
): Promise<User | "exists"> {
  const { rows } = await db.query(
    `INSERT INTO users (name, email) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING
     RETURNING id, name, email, created_at`,
    [input.name, input.email.toLowerCase()],
  );
  const row = rows[0] as UserRow | undefined;
  return row ? toUser(row) : "exists";
}
