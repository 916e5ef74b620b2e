import { loadConfigOrExit } from "@mcp-prod/config";
import { createHealth } from "@mcp-prod/health";
import { createLogger, createTelemetry } from "@mcp-prod/telemetry";
import { identityFromHeaders, serveMcp } from "@mcp-prod-examples/kit";
import { openDatabasePool } from "@mcp-prod-examples/kit/database";
import { startOpenTelemetry } from "@mcp-prod-examples/kit/otel";
import { Registry } from "prom-client";
import { configShape } from "./config.ts";
import { createDispatcher } from "./dispatcher.ts";
import { migrate } from "./outbox.ts";
import { buildServer } from "./server.ts";
import { createNotificationTools } from "./tools.ts";

const config = loadConfigOrExit(configShape);
// Spans and metrics to an OTLP collector when OTEL_EXPORTER_OTLP_ENDPOINT is set; nothing otherwise.
const openTelemetry = await startOpenTelemetry("notification-mcp");
// Telemetry adds the `service` key to the lines it writes itself: it gets the logger
// without one, or every `tool_called` line would carry the key twice.
const rootLogger = createLogger({ level: config.logLevel });
const logger = rootLogger.child({ service: "notification-mcp" });
const registry = new Registry();
const telemetry = createTelemetry({
  serviceName: "notification-mcp",
  logger: rootLogger,
  registry,
});

const { pool, database } = await openDatabasePool({
  config,
  service: "notification-mcp",
  name: "outbox",
  telemetry,
  logger,
});
await migrate(pool);

const dispatcher = createDispatcher({
  pool,
  telemetry,
  registry,
  logger,
  settings: {
    providerUrl: config.provider.url,
    providerKey: config.provider.key,
    timeoutMs: config.provider.timeoutMs,
    intervalMs: config.dispatch.intervalMs,
    concurrency: config.dispatch.concurrency,
    leaseMs: config.dispatch.leaseMs,
    maxAttempts: config.dispatch.maxAttempts,
    perRecipientPerMinute: config.dispatch.perRecipientPerMinute,
    breakerResetTimeoutMs: config.breaker.resetTimeoutMs,
  },
});
const tools = createNotificationTools({ pool, telemetry, onAccepted: dispatcher.wake });

const health = createHealth({
  checks: {
    database: pool.healthCheck,
    outbox: { check: dispatcher.healthCheck, critical: false },
  },
});
const { server, url, metricsServer } = await serveMcp({
  host: config.server.host,
  port: config.server.port,
  metricsPort: config.server.metricsPort,
  allowedHosts: config.server.allowedHosts,
  allowedOrigins: config.server.allowedOrigins,
  createMcpServer: () => buildServer(tools),
  authenticate: identityFromHeaders,
  healthHandler: health.nodeHandler(),
  metricsHandler: telemetry.metricsHandler(),
});
health.gracefulShutdown({
  servers: metricsServer ? [server, metricsServer] : [server],
  drainMs: config.shutdown.drainMs,
  timeoutMs: 20_000,
  cleanup: [dispatcher.close, tools.close, pool.close, database.close, openTelemetry.shutdown],
});
health.markReady();
logger.info(
  {
    event: "server_started",
    mcp: `${url}/mcp`,
    health: `${url}/health`,
    metrics: `${url}/metrics`,
    provider: config.provider.url,
    database: database.embedded ? "embedded PGlite (not for production)" : "DATABASE_URL",
  },
  "notification-mcp ready",
);
