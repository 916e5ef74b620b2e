export {
  compose,
  POLICY_ORDER,
  type PolicyContext,
  type PolicyKind,
  type ToolCallResult,
  type ToolContextV2,
  type ToolExtraV1,
  type ToolHandler,
  type ToolHandlerV1,
  type ToolHandlerV2,
  type ToolPolicy,
  type ToolResult,
} from "@mcp-prod/internal";
export {
  type ClientCallOptions,
  injectTraceContext,
  traceClientCall,
} from "./client-tracing.ts";
export type { ErrorContext, ErrorReporter } from "./error-reporter.ts";
export { TelemetryError, type TelemetryErrorCode } from "./errors.ts";
export {
  type CreateLoggerOptions,
  createLogger,
  REDACTED,
  SECRET_FIELDS,
} from "./logger.ts";
export type { MetricsHandler, MetricsHandlerOptions } from "./metrics-handler.ts";
export type {
  BreakerEvents,
  CacheEvents,
  IdempotencyEvents,
  Observable,
  ObservedBreaker,
  ObservedCache,
  ObservedIdempotencyStore,
  ObservedPool,
  ObservedRateLimiter,
  ObservedRegistry,
  PoolEvents,
  RateLimiterEvents,
} from "./observed-contracts.ts";
export {
  DEFAULT_DURATION_BUCKETS,
  type TelemetryOptions,
  type TelemetryPolicyOptions,
  type WithTelemetryOptions,
} from "./options.ts";
export { INSTRUMENTATION_SCOPE, MCP_DURATION_BUCKETS } from "./otel-metrics.ts";
export { isDegraded } from "./outcomes.ts";
export { type SentryLike, type SentryReporterOptions, sentryReporter } from "./sentry.ts";
export { createTelemetry, type Telemetry } from "./telemetry.ts";
export type { ToolCallStatus } from "./tool-call-status.ts";
export type { NetworkTransport } from "./trace-context.ts";
export {
  type McpServerMethod,
  type TraceOptions,
  tracePrompt,
  traceResource,
  traceTool,
} from "./tracing.ts";
export { withTelemetry } from "./with-telemetry.ts";
