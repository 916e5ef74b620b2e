import { env, secret } from "@mcp-prod/config";
import { serverConfigShape } from "@mcp-prod-examples/kit";
import { z } from "zod";

/**
 * The variables this server reads. Outside production all have embedded
 * defaults for a first run; under NODE_ENV=production the server refuses to
 * start without API_BASE_URL instead of calling the demo upstream on loopback.
 */
export const configShape = {
  ...serverConfigShape(3002),
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
};
