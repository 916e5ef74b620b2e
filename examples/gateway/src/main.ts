// The example stack's gateway: @mcp-prod/gateway configured from the environment, in front of
// user-management-mcp and analytics-mcp unless GATEWAY_BACKENDS says otherwise.
import { startFromEnv } from "@mcp-prod/gateway";
import { startOpenTelemetry } from "@mcp-prod-examples/kit/otel";

// Spans and metrics to an OTLP collector when OTEL_EXPORTER_OTLP_ENDPOINT is set; nothing otherwise.
const openTelemetry = await startOpenTelemetry("mcp-gateway");
await startFromEnv(
  {
    GATEWAY_BACKENDS: "users=http://127.0.0.1:3001/mcp,analytics=http://127.0.0.1:3002/mcp",
    ...process.env,
  },
  { cleanup: [openTelemetry.shutdown] },
);
