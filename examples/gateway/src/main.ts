// The example stack's gateway: @mcp-prod/gateway configured from the environment, in front of
// user-management-mcp and analytics-mcp on loopback unless GATEWAY_BACKENDS says otherwise.
// Under NODE_ENV=production there is no such default: GATEWAY_BACKENDS must be set.
import { startFromEnv } from "@mcp-prod/gateway";
import { startOpenTelemetry } from "@mcp-prod-examples/kit/otel";

const demoBackends =
  process.env.NODE_ENV === "production"
    ? {}
    : { GATEWAY_BACKENDS: "users=http://127.0.0.1:3001/mcp,analytics=http://127.0.0.1:3002/mcp" };

// Spans and metrics to an OTLP collector when OTEL_EXPORTER_OTLP_ENDPOINT is set; nothing otherwise.
const openTelemetry = await startOpenTelemetry("mcp-gateway");
// strict: an unknown GATEWAY_*, OAUTH_* or RATE_LIMIT_* variable (a typo such as GATEWAY_API_KEY)
// stops the start with a did-you-mean instead of being ignored.
await startFromEnv(
  { ...demoBackends, ...process.env },
  { cleanup: [openTelemetry.shutdown], strict: true },
);
