export {
  type BreakerLike,
  type BreakerRegistryLike,
  type BreakerState,
  breakerCheck,
  type PingableRedis,
  pgCheck,
  type QueryablePool,
  redisCheck,
} from "./adapters.ts";
export type {
  Check,
  CheckContext,
  CheckDefinition,
  CheckFunction,
  CheckObservation,
  CheckOutcome,
  CheckReason,
  CheckResult,
  HealthReport,
  HealthStatus,
} from "./checks.ts";
export { HealthError, type HealthErrorCode } from "./errors.ts";
export type { HealthFormat, ProbeResponse, Readiness } from "./format.ts";
export { createHealth, type Health, type HealthEvents } from "./health.ts";
export { type HttpCheckOptions, httpCheck } from "./http-check.ts";
export type { FetchHealthHandler, NodeHealthHandler } from "./http-handlers.ts";
export type { HealthOptions } from "./options.ts";
export type { ProbeRoute } from "./probe-routes.ts";
export { redactSecrets } from "./redact.ts";
export type {
  CleanupHook,
  GracefulShutdown,
  GracefulShutdownOptions,
  ShutdownEvents,
  ShutdownPhase,
} from "./shutdown.ts";
