import { loadConfigOrExit } from "@mcp-prod/config";
import type { CleanupHook } from "@mcp-prod/health";
import {
  assertBoolean,
  assertFunction,
  assertKnownKeys,
  assertOptions,
  optionKeys,
} from "@mcp-prod/internal";
import { createLogger, createTelemetry } from "@mcp-prod/telemetry";
import { parseApiKeys } from "./auth.ts";
import { gatewayConfigShape, parseBackends, parseTimeouts, STRICT_PREFIXES } from "./config.ts";
import { createGateway, type Gateway } from "./gateway.ts";

/**
 * Options of {@link startFromEnv}.
 *
 * @example
 * ```ts
 * const options: StartFromEnvOptions = { cleanup: [() => sdk.shutdown()] };
 * ```
 */
export type StartFromEnvOptions = {
  /**
   * Run in order on graceful shutdown, once the gateway closed: flush an
   * OpenTelemetry exporter, close what the application opened itself.
   * @default []
   */
  readonly cleanup?: readonly CleanupHook[] | undefined;
  /**
   * Refuse to start, with a did-you-mean, when the environment holds a
   * `GATEWAY_*`, `OAUTH_*` or `RATE_LIMIT_*` variable the gateway does not
   * read: a typo such as `GATEWAY_API_KEY` (for `GATEWAY_API_KEYS`) would
   * otherwise start a gateway without authentication on loopback. The
   * `mcp-prod-gateway` command sets it; leave it off where the environment
   * also holds other tools' variables with these prefixes.
   * @default false
   */
  readonly strict?: boolean | undefined;
};

const START_KEYS = optionKeys<StartFromEnvOptions>({ cleanup: true, strict: true });

/**
 * Starts the gateway from environment variables (what `mcp-prod-gateway`
 * runs): listens, marks itself ready, and shuts down gracefully on SIGTERM.
 *
 * @example
 * ```ts
 * // GATEWAY_BACKENDS=users=http://127.0.0.1:3001/mcp GATEWAY_API_KEYS=… node main.js
 * import { startFromEnv } from "@mcp-prod/gateway";
 * await startFromEnv();
 * ```
 */
export async function startFromEnv(
  environment: Readonly<Record<string, string | undefined>> = process.env,
  options: StartFromEnvOptions = {},
): Promise<Gateway> {
  assertOptions(options);
  assertKnownKeys(options, START_KEYS, "startFromEnv()");
  const { cleanup = [], strict = false } = options;
  assertBoolean(strict, "strict");
  if (!Array.isArray(cleanup))
    throw new TypeError(`Expected \`cleanup\` to be an array, got ${typeof cleanup}`);
  for (const [index, hook] of cleanup.entries()) assertFunction(hook, `cleanup[${index}]`);
  const config = loadConfigOrExit(gatewayConfigShape, {
    env: environment,
    ...(strict ? { strictPrefix: STRICT_PREFIXES } : {}),
  });
  const base = createLogger({ level: config.logLevel === "silent" ? "error" : config.logLevel });
  // Telemetry names the service on its own lines; the gateway's own lines get it here, once.
  const logger = base.child({ service: "mcp-gateway" });
  const telemetry = createTelemetry({ serviceName: "mcp-gateway", logger: base });
  const timeouts = parseTimeouts(config.backendTimeouts);
  let redis: import("ioredis").Redis | undefined;
  if (config.redisUrl) {
    const { Redis } = await import("ioredis");
    redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    // The gateway decides alone while Redis is unreachable and reports it through readiness.
    redis.on("error", () => {});
    // A replica that serves before its connection is up would answer 503 for every session
    // it does not hold yet: wait for it (briefly: a Redis that is down must not stop the start).
    const client = redis;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        client.off("ready", done);
        resolve();
      };
      const timer = setTimeout(done, 5000);
      client.once("ready", done);
      if (client.status === "ready") done();
    });
  }
  const gateway = await createGateway({
    host: config.server.host,
    port: config.server.port,
    backends: parseBackends(config.backends, timeouts.byBackend),
    ...(timeouts.defaultMs ? { backendTimeoutMs: timeouts.defaultMs } : {}),
    auth: {
      issuer: config.oauth.issuer,
      audience: config.oauth.audience,
      jwksUrl: config.oauth.jwksUrl,
      maxTokenAgeSeconds: config.oauth.maxTokenAgeSeconds,
      apiKeys: parseApiKeys(config.apiKeys),
    },
    allowAnonymous: config.server.allowAnonymous,
    ...(config.server.trustedProxies ? { trustedProxies: config.server.trustedProxies } : {}),
    metricsToken: config.server.metricsToken,
    sessionKeys: [config.sessionKey, config.previousSessionKey].filter(
      (key): key is string => key !== undefined,
    ),
    ...config.limits,
    telemetry,
    logger,
    ...(redis ? { redis } : {}),
    rateLimitKeyPrefix: config.redisKeyPrefix,
    rateLimitStoreTimeoutMs: config.rateLimit.storeTimeoutMs,
    toolRateLimit: {
      points: config.rateLimit.points,
      durationSeconds: config.rateLimit.durationSeconds,
    },
    requestRateLimit: {
      points: config.rateLimit.requestPoints,
      durationSeconds: config.rateLimit.durationSeconds,
    },
    authFailureRateLimit: {
      points: config.rateLimit.authFailurePoints,
      durationSeconds: config.rateLimit.durationSeconds,
    },
    refreshIntervalMs: config.refreshIntervalMs,
    maxBodyBytes: config.server.maxBodyBytes,
    allowedHosts: config.server.allowedHosts,
    allowedOrigins: config.server.allowedOrigins,
    auditArguments: config.auditArguments,
  });
  gateway.health.gracefulShutdown({
    servers: [gateway.server],
    drainMs: config.shutdown.drainMs,
    timeoutMs: 20_000,
    cleanup: [
      () => gateway.close(),
      async () => redis?.disconnect(),
      () => telemetry.close(),
      ...cleanup,
    ],
  });
  gateway.health.markReady();
  logger.info(
    {
      event: "server_started",
      mcp: `${gateway.url}/mcp`,
      health: `${gateway.url}/health`,
      metrics: `${gateway.url}/metrics`,
      backends: gateway.backends.map(
        (backend) => `${backend.label}=${backend.safeUrl} (${backend.state})`,
      ),
      auth: config.oauth.issuer
        ? `JWT from ${config.oauth.issuer} + API keys`
        : config.apiKeys
          ? "API keys"
          : "none (anonymous)",
    },
    "mcp-gateway ready",
  );
  return gateway;
}
