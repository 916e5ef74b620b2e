// OpenTelemetry export for the example servers: on when OTEL_EXPORTER_OTLP_ENDPOINT
// (or a per-signal endpoint) is set, absent otherwise, without even loading the SDK.

/** The running export; `shutdown()` flushes what is buffered and stops it (a no-op when none started). */
export type OpenTelemetryExport = {
  readonly enabled: boolean;
  shutdown(): Promise<void>;
};

const ENDPOINT_VARIABLES = [
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
  "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
] as const;

/**
 * Starts the OpenTelemetry Node SDK with the OTLP/HTTP trace and metric
 * exporters when an OTLP endpoint is configured. Everything else comes from
 * the standard `OTEL_*` variables (`OTEL_EXPORTER_OTLP_HEADERS`,
 * `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`, `OTEL_METRIC_EXPORT_INTERVAL`…);
 * `service.name` is the server's name unless `OTEL_SERVICE_NAME` says otherwise.
 */
export async function startOpenTelemetry(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<OpenTelemetryExport> {
  if (!ENDPOINT_VARIABLES.some((name) => env[name]) || env.OTEL_SDK_DISABLED === "true") {
    return { enabled: false, shutdown: async () => {} };
  }
  const [
    { NodeSDK },
    { OTLPTraceExporter },
    { OTLPMetricExporter },
    { PeriodicExportingMetricReader },
  ] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/exporter-metrics-otlp-http"),
    import("@opentelemetry/sdk-metrics"),
  ]);
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || serviceName,
    traceExporter: new OTLPTraceExporter(),
    metricReader: new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter(),
      ...(interval > 0
        ? { exportIntervalMillis: interval, exportTimeoutMillis: Math.min(interval, 30_000) }
        : {}),
    }),
    // Only mcp-prod's own spans (MCP operations, PostgreSQL, Redis): no auto-instrumentation.
    instrumentations: [],
  });
  sdk.start();
  return { enabled: true, shutdown: () => sdk.shutdown() };
}
