import { env } from "@mcp-prod/config";
import { z } from "zod";

/** A comma-separated variable as a list of its trimmed, non-empty items (`ALLOWED_HOSTS=a, b`). */
export const commaList = z
  .string()
  .transform((text) =>
    text
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .optional();

/**
 * The variables every example server reads the same way: `NODE_ENV`,
 * `LOG_LEVEL`, `SERVER_HOST`, `SERVER_PORT` (default `port`), `ALLOWED_HOSTS`,
 * `ALLOWED_ORIGINS`, `METRICS_PORT` and `SHUTDOWN_DRAIN_MS`. Spread into a
 * server's own shape.
 */
export function serverConfigShape(port: number) {
  return {
    nodeEnv: env("NODE_ENV", z.enum(["development", "production", "test"]).default("development")),
    logLevel: env("LOG_LEVEL", z.enum(["debug", "info", "warn", "error"]).default("info")),
    server: {
      host: env("SERVER_HOST", z.string().default("127.0.0.1")),
      port: env("SERVER_PORT", z.coerce.number().int().min(0).max(65535).default(port)),
      /** Host names (besides loopback) the MCP endpoint answers: DNS-rebinding protection. */
      allowedHosts: env("ALLOWED_HOSTS", commaList),
      /** Browser origins (besides the server's own) allowed to call the MCP endpoint. */
      allowedOrigins: env("ALLOWED_ORIGINS", commaList),
      /** A port serving `/metrics` alone, for a scraper that must not reach `/mcp`. Unset: none. */
      metricsPort: env("METRICS_PORT", z.coerce.number().int().min(0).max(65535).optional()),
    },
    shutdown: {
      drainMs: env("SHUTDOWN_DRAIN_MS", z.coerce.number().int().min(0).default(5000), {
        devDefault: 0,
      }),
    },
  };
}
