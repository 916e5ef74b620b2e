export { abortReason, noop, onAbort, raceAbort, throwIfAborted } from "./abort.ts";
export { type Backoff, backoffDelay, JITTERS, type Jitter } from "./backoff.ts";
export {
  type CallContext,
  readCallContext,
  readRequestHeader,
  readToolCall,
  type ToolCall,
} from "./call-context.ts";
export { clientAddress, followClientAddresses } from "./client-address.ts";
export {
  compose,
  POLICY_ORDER,
  type PolicyContext,
  type PolicyKind,
  type ToolPolicy,
} from "./compose.ts";
export { type DeadlineEntry, DeadlineQueue } from "./deadline-queue.ts";
export { defineWrapper } from "./define-wrapper.ts";
export { delay } from "./delay.ts";
export { isProductionEnvironment } from "./environment.ts";
export { defineError, McpProdError } from "./errors.ts";
export { Emitter, EventSource } from "./event-source.ts";
export type {
  BreakerEvents,
  BreakerState,
  BulkheadEvents,
  CacheEvents,
  CacheOperation,
  CacheTier,
  ChaosEvents,
  ChaosFaultKind,
  IdempotencyEvents,
  IdempotencyNotStoredReason,
  IdempotencyOperation,
  PoolEvents,
  RateLimiterEvents,
} from "./events.ts";
export { assertKnownKeys, type ForeignKeys, optionKeys } from "./known-keys.ts";
export { LazySignal } from "./lazy-signal.ts";
export {
  isOpossumBreaker,
  type OpossumBreaker,
  observeOpossum,
  opossumRetryAfterMs,
  opossumState,
} from "./opossum.ts";
export {
  assertBoolean,
  assertFunction,
  assertNonNegativeInteger,
  assertNonNegativeNumber,
  assertOneOf,
  assertOptions,
  assertPercentage,
  assertPositiveInteger,
  assertPositiveNumber,
  assertString,
  describeValue,
} from "./options.ts";
export {
  type Attributes,
  type Context,
  endSpan,
  errorType,
  meterSource,
  type OpenTelemetryApi,
  openTelemetry,
  type Span,
  type Tracer,
  tracerSource,
} from "./otel.ts";
export {
  createPolicyRegistry,
  type PolicyRegistry,
  type PolicyRegistryOwner,
  warnIfRebuilt,
} from "./policy-registry.ts";
export { seededRandom } from "./random.ts";
export { describeError, redactSecrets } from "./redact.ts";
export { traceRedis } from "./redis-span.ts";
export { RedisReadiness } from "./redis-status.ts";
export type {
  ContentAnnotations,
  SchemaOutput,
  ShapeArgs,
  ToolAuthInfo,
  ToolCallResult,
  ToolContentBlock,
  ToolContextV2,
  ToolExtraV1,
  ToolHandlerV1,
  ToolHandlerV2,
  ToolNotification,
} from "./sdk-handler-types.ts";
export {
  isToolResult,
  type ToolHandler,
  type ToolResult,
  textResult,
  withResultMeta,
} from "./tool-handler.ts";
export { isErrorResult, ToolResultError } from "./tool-result-error.ts";
export { withToolSignal } from "./tool-signal.ts";
export { asToolHandler, callToolHandler } from "./tool-wrapper.ts";
export {
  errorCode,
  findInCauses,
  isNetworkError,
  NETWORK_ERROR_CODES,
  TOOLKIT_TRANSIENT_CODES,
  TRANSIENT_HTTP_STATUSES,
} from "./transient.ts";
export { callSite, warnCallbackFailure, warnOnce } from "./warnings.ts";
export { withDeadline, withLazyDeadline } from "./with-deadline.ts";
