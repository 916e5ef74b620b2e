/** The statements of a migration: `@mcp-prod/pool`'s `tx`. */
export type MigrationTransaction = {
  query(text: string, values?: unknown[]): Promise<unknown>;
};

/** What {@link migrateUnderLock} needs of a pool: `@mcp-prod/pool`'s `transaction()`. */
export type MigrationPool = {
  transaction<T>(run: (tx: MigrationTransaction) => Promise<T>): Promise<T>;
};

/**
 * Runs a server's start-up migration in one transaction under a PostgreSQL
 * advisory lock named after the server, so that replicas starting at once
 * against an empty database migrate one after the other: `CREATE TABLE IF NOT
 * EXISTS` run concurrently fails with a unique violation on `pg_type`. The
 * lock is released with the transaction, also when the process dies.
 *
 * @example
 * ```ts
 * await migrateUnderLock(pool, "user-management-mcp", async (tx) => {
 *   await tx.query("CREATE TABLE IF NOT EXISTS users (id SERIAL PRIMARY KEY)");
 * });
 * ```
 */
export async function migrateUnderLock(
  pool: MigrationPool,
  name: string,
  migrate: (tx: MigrationTransaction) => Promise<void>,
): Promise<void> {
  await pool.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`migrate:${name}`]);
    await migrate(tx);
  });
}
