import { env, secret } from "@mcp-prod/config";
import { commaList } from "@mcp-prod-examples/kit";
import { z } from "zod";

/**
 * The variables this server reads. Outside production all have embedded
 * defaults for a first run; under NODE_ENV=production the server refuses to
 * start without API_BASE_URL instead of calling the demo upstream on loopback.
 */
export const configShape = {
  nodeEnv: env("NODE_ENV", z.enum(["development", "production", "test"]).default("development")),
  logLevel: env("LOG_LEVEL", z.enum(["debug", "info", "warn", "error"]).default("info")),
  server: {
    host: env("SERVER_HOST", z.string().default("127.0.0.1")),
    port: env("SERVER_PORT", z.coerce.number().int().min(0).max(65535).default(3002)),
    /** Host names (besides loopback) the MCP endpoint answers: DNS-rebinding protection. */
    allowedHosts: env("ALLOWED_HOSTS", commaList),
    /** Browser origins (besides the server's own) allowed to call the MCP endpoint. */
    allowedOrigins: env("ALLOWED_ORIGINS", commaList),
    /** A port serving `/metrics` alone, for a scraper that must not reach `/mcp`. Unset: none. */
    metricsPort: env("METRICS_PORT", z.coerce.number().int().min(0).max(65535).optional()),
  },
  api: {
    /** The demo upstream API on loopback outside production (`pnpm start:upstream`). */
    baseUrl: env("API_BASE_URL", z.url(), { devDefault: "http://127.0.0.1:8080" }),
    key: secret("API_KEY", z.string().min(1).optional()),
    timeoutMs: env("API_TIMEOUT_MS", z.coerce.number().int().positive().default(2000)),
  },
  /** Unset: the cache is memory-only (one instance). */
  redisUrl: secret("REDIS_URL", z.string().startsWith("redis").optional()),
  /** Key prefix in Redis, so several deployments can share one. */
  cachePrefix: env("CACHE_PREFIX", z.string().min(1).default("analytics:")),
  breaker: {
    resetTimeoutMs: env(
      "BREAKER_RESET_TIMEOUT_MS",
      z.coerce.number().int().positive().default(30_000),
    ),
  },
  shutdown: {
    drainMs: env("SHUTDOWN_DRAIN_MS", z.coerce.number().int().min(0).default(5000), {
      devDefault: 0,
    }),
  },
};
