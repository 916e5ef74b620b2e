// A query and a transaction against the real PostgreSQL at DATABASE_URL.
export async function smoke(mod) {
  const pool = mod.createPool({
    connectionString: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
    max: 2,
  });
  try {
    const { rows } = await pool.query("SELECT $1::int + 1 AS answer", [41]);
    if (rows[0].answer !== 42) throw new Error("wrong answer");
    const inside = await pool.transaction(
      async (tx) => (await tx.query("SELECT 1 AS one")).rows[0].one,
    );
    if (inside !== 1) throw new Error("transaction failed");
    if ((await pool.healthCheck()) !== "healthy") throw new Error("not healthy");
  } finally {
    await pool.close();
  }
}
