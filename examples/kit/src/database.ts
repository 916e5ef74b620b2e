import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { env, secret } from "@mcp-prod/config";
import { createPool, type Pool } from "@mcp-prod/pool";
import { z } from "zod";

export type Database = {
  readonly url: string;
  /** True when this process runs an embedded PGlite (DATABASE_URL unset). */
  readonly embedded: boolean;
  close(): Promise<void>;
};

/**
 * The real PostgreSQL at `url`, or, when it is unset, an embedded PGlite
 * served over the PostgreSQL wire protocol on loopback, so the pool talks to
 * it through pg exactly as to a real server. PGlite runs one transaction at a
 * time across its connections: for trying things out, not for production.
 */
export async function openDatabase(
  url: string | undefined,
  maxConnections: number,
): Promise<Database> {
  if (url) return { url, embedded: false, close: async () => {} };
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections });
  await server.start();
  const port = Number(server.getServerConn().split(":").pop());
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    embedded: true,
    close: async () => {
      await server.stop();
      await db.close();
    },
  };
}

/** `DATABASE_URL` for an embedded PostgreSQL (PGlite): the default outside production. */
export const EMBEDDED_DATABASE = "embedded";

/**
 * The database variables of a server on PostgreSQL. Under NODE_ENV=production
 * `DATABASE_URL` has no default: the server refuses to start without a real one.
 */
export function databaseConfigShape() {
  return {
    /**
     * A PostgreSQL connection string. Unset outside production (or `embedded`): an
     * embedded PostgreSQL (PGlite) is started, one per process, for trying things out only.
     */
    databaseUrl: secret(
      "DATABASE_URL",
      z.union([z.literal(EMBEDDED_DATABASE), z.string().startsWith("postgres")]),
      { devDefault: EMBEDDED_DATABASE },
    ),
    database: {
      /** Connections in the pool (default 20). */
      poolMax: env("DATABASE_POOL_MAX", z.coerce.number().int().positive().default(20)),
      /** How long a call waits for a connection before it fails fast (default 2 s). */
      connectTimeoutMs: env(
        "DATABASE_CONNECT_TIMEOUT_MS",
        z.coerce.number().int().positive().default(2000),
      ),
    },
  };
}

// The embedded database serves one transaction at a time: a small pool matches it.
const EMBEDDED_CONNECTIONS = 3;

/**
 * The server's pool on the database its config names (an embedded PGlite for
 * `embedded`), observed by telemetry, its lost connections logged. Closing the
 * pool and then the database is the caller's, at shutdown.
 */
export async function openDatabasePool(options: {
  readonly config: { readonly databaseUrl: string; readonly database: DatabaseSettings };
  /** The server's name, seen in pg_stat_activity (PGAPPNAME overrides it). */
  readonly service: string;
  /** The pool's name in metrics. */
  readonly name: string;
  readonly telemetry: { observePool(pool: Pool): unknown };
  readonly logger: { warn(fields: object, message: string): void };
}): Promise<{ pool: Pool; database: Database }> {
  const { config, logger } = options;
  const database = await openDatabase(
    config.databaseUrl === EMBEDDED_DATABASE ? undefined : config.databaseUrl,
    EMBEDDED_CONNECTIONS,
  );
  const pool = createPool({
    connectionString: database.url,
    name: options.name,
    applicationName: process.env.PGAPPNAME ?? options.service,
    max: database.embedded ? EMBEDDED_CONNECTIONS : config.database.poolMax,
    connectionTimeoutMillis: config.database.connectTimeoutMs,
  });
  options.telemetry.observePool(pool);
  pool.on("error", ({ error }) =>
    logger.warn({ event: "pool_error", err: error }, "database connection lost"),
  );
  return { pool, database };
}

type DatabaseSettings = { readonly poolMax: number; readonly connectTimeoutMs: number };
