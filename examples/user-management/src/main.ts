import { loadConfigOrExit } from "@mcp-prod/config";
import { createHealth } from "@mcp-prod/health";
import { createPostgresStore } from "@mcp-prod/idempotency";
import { createLogger, createTelemetry } from "@mcp-prod/telemetry";
import { identityFromHeaders, serveMcp } from "@mcp-prod-examples/kit";
import { openDatabasePool } from "@mcp-prod-examples/kit/database";
import { startOpenTelemetry } from "@mcp-prod-examples/kit/otel";
import { configShape } from "./config.ts";
import { buildServer } from "./server.ts";
import { migrate } from "./users.ts";

const config = loadConfigOrExit(configShape);
// Spans and metrics to an OTLP collector when OTEL_EXPORTER_OTLP_ENDPOINT is set; nothing otherwise.
const openTelemetry = await startOpenTelemetry("user-management-mcp");
// Telemetry adds the `service` key to the lines it writes itself: it gets the logger
// without one, or every `tool_called` line would carry the key twice.
const rootLogger = createLogger({ level: config.logLevel });
const logger = rootLogger.child({ service: "user-management-mcp" });
const telemetry = createTelemetry({ serviceName: "user-management-mcp", logger: rootLogger });

const { pool, database } = await openDatabasePool({
  config,
  service: "user-management-mcp",
  name: "users",
  telemetry,
  logger,
});
await migrate(pool);
// create_user's idempotency records, written in the transaction that inserts the user.
const idempotency = createPostgresStore({ pool, transactional: true });
// Replays, waits and mismatches in mcp_idempotency_events_total and on the call's span.
telemetry.observeIdempotency(idempotency);
idempotency.on("storeError", ({ tool, operation, error }) =>
  logger.warn(
    { event: "idempotency_store_error", tool, operation, err: error },
    "idempotency store failed",
  ),
);
idempotency.on("mismatch", ({ tool }) =>
  logger.info(
    { event: "idempotency_mismatch", tool },
    "idempotency key reused with other arguments",
  ),
);

const health = createHealth({ checks: { database: pool.healthCheck } });
const { server, url, metricsServer } = await serveMcp({
  host: config.server.host,
  port: config.server.port,
  metricsPort: config.server.metricsPort,
  allowedHosts: config.server.allowedHosts,
  allowedOrigins: config.server.allowedOrigins,
  createMcpServer: () => buildServer({ pool, telemetry, idempotency }),
  authenticate: identityFromHeaders,
  healthHandler: health.nodeHandler(),
  metricsHandler: telemetry.metricsHandler(),
});
health.gracefulShutdown({
  servers: metricsServer ? [server, metricsServer] : [server],
  drainMs: config.shutdown.drainMs,
  timeoutMs: 20_000,
  cleanup: [() => idempotency.close(), pool.close, database.close, openTelemetry.shutdown],
});
health.markReady();
logger.info(
  {
    event: "server_started",
    mcp: `${url}/mcp`,
    health: `${url}/health`,
    metrics: `${url}/metrics`,
    database: database.embedded ? "embedded PGlite (not for production)" : "DATABASE_URL",
  },
  "user-management-mcp ready",
);
