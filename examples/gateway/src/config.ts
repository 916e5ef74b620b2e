import { env, secret } from "@mcp-prod/config";
import { z } from "zod";

const list = z
  .string()
  .transform((text) =>
    text
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .optional();

/** The gateway's variables: the seed's, plus its backends, API keys and limits. */
export const configShape = {
  nodeEnv: env("NODE_ENV", z.enum(["development", "production", "test"]).default("development")),
  logLevel: env("LOG_LEVEL", z.enum(["debug", "info", "warn", "error"]).default("info")),
  server: {
    host: env("SERVER_HOST", z.string().default("127.0.0.1")),
    port: env("SERVER_PORT", z.coerce.number().int().min(0).max(65535).default(3000)),
    allowedHosts: env("GATEWAY_ALLOWED_HOSTS", list),
    allowedOrigins: env("GATEWAY_ALLOWED_ORIGINS", list),
    maxBodyBytes: env(
      "GATEWAY_MAX_BODY_BYTES",
      z.coerce.number().int().positive().default(1_048_576),
    ),
  },
  oauth: {
    issuer: env("OAUTH_ISSUER", z.url().optional()),
    audience: env("OAUTH_AUDIENCE", z.string().min(1).default("mcp-gateway")),
    jwksUrl: env("OAUTH_JWKS_URL", z.url().optional()),
  },
  /** `key=clientId:scope+scope,…`; scopes are backend prefixes, a full tool name, or `*`. */
  apiKeys: secret("GATEWAY_API_KEYS", z.string().optional()),
  backends: env(
    "GATEWAY_BACKENDS",
    z
      .string()
      .min(1)
      .default("users=http://127.0.0.1:3001/mcp,analytics=http://127.0.0.1:3002/mcp"),
  ),
  redisUrl: secret("REDIS_URL", z.string().startsWith("redis").optional()),
  rateLimit: {
    points: env("RATE_LIMIT_POINTS", z.coerce.number().int().positive().default(60)),
    durationSeconds: env(
      "RATE_LIMIT_DURATION_SECONDS",
      z.coerce.number().int().positive().default(60),
    ),
    requestPoints: env(
      "RATE_LIMIT_REQUEST_POINTS",
      z.coerce.number().int().positive().default(600),
    ),
  },
  auditArguments: env("GATEWAY_AUDIT_ARGUMENTS", z.stringbool().default(false)),
  shutdown: {
    drainMs: env("SHUTDOWN_DRAIN_MS", z.coerce.number().int().min(0).default(5000), {
      devDefault: 0,
    }),
  },
};
