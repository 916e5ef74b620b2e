export { abortReason, noop, onAbort, raceAbort, throwIfAborted } from "./abort.ts";
export { type Backoff, backoffDelay, type Jitter } from "./backoff.ts";
export {
  compose,
  definePolicy,
  POLICY_ORDER,
  type PolicyContext,
  type PolicyKind,
  policyKind,
  type ToolPolicy,
} from "./compose.ts";
export { type DeadlineEntry, DeadlineQueue } from "./deadline-queue.ts";
export { delay } from "./delay.ts";
export { defineError, McpProdError } from "./errors.ts";
export { Emitter, type EventMap, EventSource, type Listener } from "./event-source.ts";
export type {
  BreakerEvents,
  BreakerState,
  BulkheadEvents,
  CacheEvents,
  CacheOperation,
  CacheTier,
  ChaosEvents,
  ChaosFaultKind,
  PoolEvents,
  RateLimiterEvents,
} from "./events.ts";
export {
  assertKnownKeys,
  closestKey,
  editDistance,
  type ForeignKeys,
  optionKeys,
} from "./known-keys.ts";
export { LazySignal } from "./lazy-signal.ts";
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
  type Meter,
  meterSource,
  type OpenTelemetryApi,
  openTelemetry,
  type Span,
  type Tracer,
  tracerSource,
} from "./otel.ts";
export { seededRandom } from "./random.ts";
export { redactSecrets } from "./redact.ts";
export { traceRedis } from "./redis-span.ts";
export { RedisReadiness } from "./redis-status.ts";
export {
  isToolResult,
  readToolCall,
  type ToolCall,
  type ToolHandler,
  type ToolResult,
  textResult,
  withResultMeta,
} from "./tool-handler.ts";
export { type SignalSource, withToolSignal } from "./tool-signal.ts";
export { asToolHandler, callToolHandler } from "./tool-wrapper.ts";
export { callSite, warnCallbackFailure, warnOnce } from "./warnings.ts";
export { type WithDeadlineOptions, withDeadline, withLazyDeadline } from "./with-deadline.ts";
