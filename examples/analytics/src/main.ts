import { createBreaker } from "@mcp-prod/breaker";
import { createCache } from "@mcp-prod/cache";
import { loadConfigOrExit } from "@mcp-prod/config";
import { breakerCheck, createHealth, httpCheck } from "@mcp-prod/health";
import { createLogger, createTelemetry } from "@mcp-prod/telemetry";
import { identityFromHeaders, serveMcp } from "@mcp-prod-examples/kit";
import { startOpenTelemetry } from "@mcp-prod-examples/kit/otel";
import Redis from "ioredis";
import { configShape } from "./config.ts";
import { buildServer } from "./server.ts";
import { createAnalyticsTools } from "./tools.ts";
import { createUpstreamClient } from "./upstream-client.ts";

const config = loadConfigOrExit(configShape);
// Spans and metrics to an OTLP collector when OTEL_EXPORTER_OTLP_ENDPOINT is set; nothing otherwise.
const openTelemetry = await startOpenTelemetry("analytics-mcp");
// Telemetry adds the `service` key to the lines it writes itself: it gets the logger
// without one, or every `tool_called` line would carry the key twice.
const rootLogger = createLogger({ level: config.logLevel });
const logger = rootLogger.child({ service: "analytics-mcp" });
const telemetry = createTelemetry({ serviceName: "analytics-mcp", logger: rootLogger });

const redis = config.redisUrl
  ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
  : undefined;
redis?.on("error", () => {
  // Counted by the cache's own events; ioredis reconnects by itself.
});
const cache = createCache({
  name: "reports",
  prefix: `${config.cachePrefix}cache:`,
  defaultTtlSeconds: 30,
  ...(redis ? { redis } : {}),
});
const lastGood = createCache({
  name: "last-good",
  prefix: `${config.cachePrefix}last-good:`,
  defaultTtlSeconds: 86_400,
  ...(redis ? { redis } : {}),
});
const upstream = createUpstreamClient({ baseUrl: config.api.baseUrl, apiKey: config.api.key });
// The breaker guards the upstream API: both tools share it, so its state is the API's.
const breaker = createBreaker({
  name: "upstream",
  timeout: config.api.timeoutMs,
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  resetTimeout: config.breaker.resetTimeoutMs,
});
telemetry.observeCache(cache);
telemetry.observeCache(lastGood);
telemetry.observeBreaker(breaker);

const tools = createAnalyticsTools({ upstream, cache, lastGood, breaker, telemetry });

const health = createHealth({
  checks: {
    upstream: {
      check: httpCheck(new URL("/status", config.api.baseUrl).href, { timeoutMs: 1000 }),
      critical: false,
    },
    breaker: { check: breakerCheck(breaker), critical: false },
    ...(redis ? { cache: { check: () => cache.healthCheck(), critical: false } } : {}),
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
  cleanup: [
    () => cache.close(),
    () => lastGood.close(),
    async () => breaker.close(),
    async () => redis?.disconnect(),
    openTelemetry.shutdown,
  ],
});
health.markReady();
logger.info(
  {
    event: "server_started",
    mcp: `${url}/mcp`,
    health: `${url}/health`,
    metrics: `${url}/metrics`,
    upstream: config.api.baseUrl,
    cache: redis ? "memory + Redis" : "memory only",
  },
  "analytics-mcp ready",
);
