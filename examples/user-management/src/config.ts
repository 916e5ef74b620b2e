import { env, secret } from "@mcp-prod/config";
import { serverConfigShape } from "@mcp-prod-examples/kit";
import { z } from "zod";

/** `DATABASE_URL` for an embedded PostgreSQL (PGlite): the default outside production. */
export const EMBEDDED_DATABASE = "embedded";

/**
 * The variables this server reads. Outside production everything has an
 * embedded default; under NODE_ENV=production the server refuses to start
 * without a real DATABASE_URL instead of running on a throwaway database.
 */
export const configShape = {
  ...serverConfigShape(3001),
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
    /** Connections in the pool (the seed's 20). */
    poolMax: env("DATABASE_POOL_MAX", z.coerce.number().int().positive().default(20)),
    /** How long a call waits for a connection before it fails fast (the seed's 2 s). */
    connectTimeoutMs: env(
      "DATABASE_CONNECT_TIMEOUT_MS",
      z.coerce.number().int().positive().default(2000),
    ),
  },
};
