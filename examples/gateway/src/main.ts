import { loadConfigOrExit } from "@mcp-prod/config";
import { createLogger, createTelemetry } from "@mcp-prod/telemetry";
import Redis from "ioredis";
import { parseApiKeys } from "./auth.ts";
import { parseBackends } from "./backends.ts";
import { configShape } from "./config.ts";
import { createGateway } from "./gateway.ts";

const config = loadConfigOrExit(configShape);
const logger = createLogger({ level: config.logLevel }).child({ service: "mcp-gateway" });
const telemetry = createTelemetry({ serviceName: "mcp-gateway", logger });
const redis = config.redisUrl
  ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
  : undefined;
redis?.on("error", () => {
  // The rate limiter fails open per replica and reports it through its events.
});

const gateway = await createGateway({
  host: config.server.host,
  port: config.server.port,
  backends: parseBackends(config.backends),
  auth: {
    issuer: config.oauth.issuer,
    audience: config.oauth.audience,
    jwksUrl: config.oauth.jwksUrl,
    apiKeys: parseApiKeys(config.apiKeys),
  },
  telemetry,
  logger,
  redis,
  toolRateLimit: {
    points: config.rateLimit.points,
    durationSeconds: config.rateLimit.durationSeconds,
  },
  requestRateLimit: {
    points: config.rateLimit.requestPoints,
    durationSeconds: config.rateLimit.durationSeconds,
  },
  maxBodyBytes: config.server.maxBodyBytes,
  allowedHosts: config.server.allowedHosts,
  allowedOrigins: config.server.allowedOrigins,
  auditArguments: config.auditArguments,
});

gateway.health.gracefulShutdown({
  servers: [gateway.server],
  drainMs: config.shutdown.drainMs,
  timeoutMs: 20_000,
  cleanup: [() => gateway.close(), async () => redis?.disconnect()],
});
gateway.health.markReady();
logger.info(
  {
    event: "server_started",
    mcp: `${gateway.url}/mcp`,
    health: `${gateway.url}/health`,
    metrics: `${gateway.url}/metrics`,
    backends: gateway.backends.map(
      (backend) => `${backend.prefix}=${backend.url} (${backend.state})`,
    ),
    auth: config.oauth.issuer ? `JWT from ${config.oauth.issuer} + API keys` : "API keys",
  },
  "mcp-gateway ready",
);
