import { env, secret } from "@mcp-prod/config";
import { commaList } from "@mcp-prod-examples/kit";
import { z } from "zod";

/** `DATABASE_URL` for an embedded PostgreSQL (PGlite): the default outside production. */
export const EMBEDDED_DATABASE = "embedded";

/**
 * The variables this server reads. Outside production everything has an
 * embedded default; under NODE_ENV=production the server refuses to start
 * without a real DATABASE_URL instead of running on a throwaway database.
 */
export const configShape = {
  nodeEnv: env("NODE_ENV", z.enum(["development", "production", "test"]).default("development")),
  logLevel: env("LOG_LEVEL", z.enum(["debug", "info", "warn", "error"]).default("info")),
  server: {
    host: env("SERVER_HOST", z.string().default("127.0.0.1")),
    port: env("SERVER_PORT", z.coerce.number().int().min(0).max(65535).default(3001)),
    /** Host names (besides loopback) the MCP endpoint answers: DNS-rebinding protection. */
    allowedHosts: env("ALLOWED_HOSTS", commaList),
    /** Browser origins (besides the server's own) allowed to call the MCP endpoint. */
    allowedOrigins: env("ALLOWED_ORIGINS", commaList),
    /** A port serving `/metrics` alone, for a scraper that must not reach `/mcp`. Unset: none. */
    metricsPort: env("METRICS_PORT", z.coerce.number().int().min(0).max(65535).optional()),
  },
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
  shutdown: {
    drainMs: env("SHUTDOWN_DRAIN_MS", z.coerce.number().int().min(0).default(5000), {
      devDefault: 0,
    }),
  },
};
