import { env, secret } from "@mcp-prod/config";
import { z } from "zod";
import type { BackendConfig } from "./backend.ts";

const PREFIXED = /^([a-z][a-z0-9_-]*)=(.+)$/s;

/**
 * Parses `GATEWAY_BACKENDS`: comma-separated entries, each `prefix=URL`
 * (names exposed as `prefix.name`) or a bare URL (names exposed unchanged).
 * `timeouts` (from `GATEWAY_BACKEND_TIMEOUT_MS`) gives per-backend timeouts.
 *
 * @example
 * ```ts
 * parseBackends("users=http://127.0.0.1:3001/mcp,http://127.0.0.1:3002/mcp");
 * // [{ prefix: "users", url: "http://127.0.0.1:3001/mcp" }, { url: "http://127.0.0.1:3002/mcp" }]
 * ```
 */
export function parseBackends(
  text: string,
  timeouts: ReadonlyMap<string, number> = new Map(),
): BackendConfig[] {
  return text
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = PREFIXED.exec(entry);
      const [prefix, url] =
        match && URL.canParse(match[2] ?? "") ? [match[1], match[2] ?? ""] : [undefined, entry];
      if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
        throw new TypeError(
          `Expected \`GATEWAY_BACKENDS\` entries as prefix=URL or a bare http(s) URL, got ${JSON.stringify(entry)}`,
        );
      }
      const timeoutMs = timeouts.get(prefix ?? url);
      return { ...(prefix ? { prefix } : {}), url, ...(timeoutMs ? { timeoutMs } : {}) };
    });
}

/**
 * Parses `GATEWAY_BACKEND_TIMEOUT_MS`: a number of milliseconds for every
 * backend, and/or comma-separated `prefix=ms` (or `URL=ms` for an unprefixed
 * backend) entries for single backends: `60000,analytics=600000`.
 */
export function parseTimeouts(text: string | undefined): {
  defaultMs: number | undefined;
  byBackend: Map<string, number>;
} {
  const byBackend = new Map<string, number>();
  let defaultMs: number | undefined;
  for (const entry of (text ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean)) {
    const separator = entry.lastIndexOf("=");
    const value = Number(separator < 0 ? entry : entry.slice(separator + 1));
    if (!Number.isInteger(value) || value <= 0)
      throw new TypeError(
        `Expected \`GATEWAY_BACKEND_TIMEOUT_MS\` entries as ms or prefix=ms, got ${JSON.stringify(entry)}`,
      );
    if (separator < 0) defaultMs = value;
    else byBackend.set(entry.slice(0, separator), value);
  }
  return { defaultMs, byBackend };
}

const list = z
  .string()
  .transform((text) =>
    text
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .optional();
const positive = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** The prefixes of the gateway's own variables: under `strict`, one it does not read is a typo. */
export const STRICT_PREFIXES: readonly string[] = ["GATEWAY_", "OAUTH_", "RATE_LIMIT_"];

/** The variables the `mcp-prod-gateway` command reads. */
export const gatewayConfigShape = {
  nodeEnv: env("NODE_ENV", z.enum(["development", "production", "test"]).default("development")),
  logLevel: env("LOG_LEVEL", z.enum(["debug", "info", "warn", "error", "silent"]).default("info")),
  server: {
    host: env("SERVER_HOST", z.string().default("127.0.0.1")),
    port: env("SERVER_PORT", z.coerce.number().int().min(0).max(65535).default(3000)),
    allowedHosts: env("GATEWAY_ALLOWED_HOSTS", list),
    allowedOrigins: env("GATEWAY_ALLOWED_ORIGINS", list),
    maxBodyBytes: env("GATEWAY_MAX_BODY_BYTES", positive(1_048_576)),
    allowAnonymous: env("GATEWAY_ALLOW_ANONYMOUS", z.stringbool().default(false)),
    trustedProxies: env("GATEWAY_TRUSTED_PROXIES", list),
    /** A bearer token `/metrics` requires. */
    metricsToken: secret("GATEWAY_METRICS_TOKEN", z.string().min(1).optional()),
  },
  limits: {
    maxResultBytes: env("GATEWAY_MAX_RESULT_BYTES", positive(16_777_216)),
    maxCallMs: env("GATEWAY_MAX_CALL_MS", positive(900_000)),
    maxArgumentDepth: env("GATEWAY_MAX_ARGUMENT_DEPTH", positive(64)),
    sessionIdleMs: env("GATEWAY_SESSION_IDLE_MS", positive(1_800_000)),
    maxSessions: env("GATEWAY_MAX_SESSIONS", positive(10_000)),
    maxSessionsPerIdentity: env("GATEWAY_MAX_SESSIONS_PER_IDENTITY", positive(1000)),
    maxBackendConnections: env("GATEWAY_MAX_BACKEND_CONNECTIONS", positive(256)),
    maxBackendConnectionsPerIdentity: env(
      "GATEWAY_MAX_BACKEND_CONNECTIONS_PER_IDENTITY",
      positive(64),
    ),
    resumeMaxEvents: env("GATEWAY_RESUME_MAX_EVENTS", positive(1000)),
    resumeMaxAgeMs: env("GATEWAY_RESUME_MAX_AGE_MS", positive(300_000)),
  },
  /** Seals session ids; replicas share it. At least 32 characters. */
  sessionKey: secret("GATEWAY_SESSION_KEY", z.string().min(32).optional()),
  /** The previous key, still accepted while a rotation rolls out. */
  previousSessionKey: secret("GATEWAY_SESSION_KEY_PREVIOUS", z.string().min(32).optional()),
  oauth: {
    issuer: env("OAUTH_ISSUER", z.url().optional()),
    audience: env("OAUTH_AUDIENCE", z.string().min(1).default("mcp-gateway")),
    jwksUrl: env("OAUTH_JWKS_URL", z.url().optional()),
    maxTokenAgeSeconds: env("OAUTH_MAX_TOKEN_AGE_SECONDS", positive(86_400)),
  },
  /** `key=clientId:scope+scope,…`; the key ends at the entry's last `=`. */
  apiKeys: secret("GATEWAY_API_KEYS", z.string().optional()),
  backends: env("GATEWAY_BACKENDS", z.string().min(1)),
  backendTimeouts: env("GATEWAY_BACKEND_TIMEOUT_MS", z.string().optional()),
  refreshIntervalMs: env(
    "GATEWAY_REFRESH_INTERVAL_MS",
    z.coerce.number().int().min(0).default(60_000),
  ),
  redisUrl: secret("REDIS_URL", z.string().startsWith("redis").optional()),
  /** Prefix of every key the gateway keeps in Redis (sessions, streams, bus, rate limits). */
  redisKeyPrefix: env("GATEWAY_REDIS_KEY_PREFIX", z.string().min(1).default("mcp-gateway")),
  rateLimit: {
    points: env("RATE_LIMIT_POINTS", positive(60)),
    durationSeconds: env("RATE_LIMIT_DURATION_SECONDS", positive(60)),
    requestPoints: env("RATE_LIMIT_REQUEST_POINTS", positive(600)),
    authFailurePoints: env("RATE_LIMIT_AUTH_FAILURE_POINTS", positive(10)),
    storeTimeoutMs: env("RATE_LIMIT_STORE_TIMEOUT_MS", positive(1000)),
  },
  auditArguments: env("GATEWAY_AUDIT_ARGUMENTS", z.stringbool().default(false)),
  shutdown: {
    drainMs: env("SHUTDOWN_DRAIN_MS", z.coerce.number().int().min(0).default(5000), {
      devDefault: 0,
    }),
  },
};
