import {
  assertFunction,
  assertString,
  asToolHandler,
  errorType,
  isErrorResult,
  noop,
  type OpossumBreaker,
  onAbort,
  readCallContext,
  readToolCall,
  type ToolCall,
  type ToolHandler,
} from "@mcp-prod/internal";
import { Counter, collectDefaultMetrics, Histogram, type Registry } from "prom-client";
import { warnReporterFailure } from "./error-reporter.ts";
import { TelemetryError } from "./errors.ts";
import { argumentRedactPaths, REDACTED, serializeError } from "./logger.ts";
import { registerMetric } from "./metric-families.ts";
import {
  type MetricsHandler,
  type MetricsHandlerOptions,
  metricsHandler,
} from "./metrics-handler.ts";
import type {
  ObservedBreaker,
  ObservedCache,
  ObservedIdempotencyStore,
  ObservedPool,
  ObservedRateLimiter,
  ObservedRegistry,
} from "./observed-contracts.ts";
import { Observers } from "./observers.ts";
import { readTelemetryOptions, type TelemetryOptions } from "./options.ts";
import { STATUS_MESSAGES, statusOf, type ToolCallStatus } from "./tool-call-status.ts";
import { serverOperations, toolIdentity } from "./tracing.ts";

/**
 * The metrics, log lines and error reports of one MCP server.
 *
 * @example
 * ```ts
 * const telemetry: Telemetry = createTelemetry({ serviceName: "analytics-mcp" });
 * server.registerTool("search_users", config, telemetry.wrap("search_users", handler));
 * ```
 */
export type Telemetry = {
  /** The registry holding every metric this telemetry records. */
  readonly registry: Registry;
  /**
   * Instruments a tool handler: one `mcp_tool_calls_total{tool,status}`
   * increment, one `mcp_tool_duration_seconds{tool}` observation and one log
   * line per call, and thrown errors to `onError`. Returns a handler of the
   * same type; arguments and result pass through unchanged.
   *
   * @example
   * ```ts
   * server.registerTool("search_users", config, telemetry.wrap("search_users", handler));
   * ```
   */
  wrap<H extends ToolHandler>(tool: string, handler: H): H;
  /**
   * Turns a breaker's events and `stats()` into `mcp_breaker_*` metrics: a
   * `@mcp-prod/breaker` breaker, or an opossum `CircuitBreaker` (8.x, 9.x).
   * Returns the function that stops observing it.
   */
  observeBreaker(breaker: ObservedBreaker | OpossumBreaker): () => void;
  /** Turns a cache's events into `mcp_cache_*` metrics. Returns the function that stops observing it. */
  observeCache(cache: ObservedCache): () => void;
  /** Turns a pool's events and `stats()` into `mcp_pool_*` metrics. Returns the function that stops observing it. */
  observePool(pool: ObservedPool): () => void;
  /** Turns a rate limiter's events into `mcp_ratelimit_*` metrics. Returns the function that stops observing it. */
  observeRateLimiter(limiter: ObservedRateLimiter): () => void;
  /**
   * Turns an idempotency store's events (`@mcp-prod/idempotency`) into
   * `mcp_idempotency_events_total{store,tool,event}` and span events
   * `mcp_prod.idempotency.<event>`. A replayed call is counted on the tool
   * with `status="replayed"` whether or not the store is observed. Returns the
   * function that stops observing it.
   */
  observeIdempotency(store: ObservedIdempotencyStore): () => void;
  /**
   * Observes every breaker a registry holds and each one it makes later:
   * `@mcp-prod/breaker`'s `breakerRegistry`, where `compose` puts the breakers
   * it configures inline, named after their tools. Returns the function that
   * stops observing them.
   */
  observeBreakers(registry: ObservedRegistry<ObservedBreaker>): () => void;
  /**
   * Observes every rate limiter a registry holds and each one it makes later
   * (`@mcp-prod/ratelimit`'s `rateLimiterRegistry`). Returns the function that
   * stops observing them.
   */
  observeRateLimiters(registry: ObservedRegistry<ObservedRateLimiter>): () => void;
  /** The Prometheus text exposition of the registry. */
  metrics(): Promise<string>;
  /** The registry's content type, for serving {@link Telemetry.metrics} yourself. */
  readonly contentType: string;
  /** A Node HTTP handler serving the registry on `GET /metrics`. */
  metricsHandler(options?: MetricsHandlerOptions): MetricsHandler;
  /**
   * Stops observing every breaker, cache, pool and limiter. Metrics keep
   * their values and `metrics()` still reads them; `wrap`, the `observe…`
   * methods and `metricsHandler` then throw a `TelemetryError` with code
   * `"ETELEMETRYCLOSED"`.
   */
  close(): void;
};

/**
 * Creates the telemetry of one MCP server: Prometheus metrics for every
 * wrapped tool and observed breaker, cache, pool and rate limiter, a pino line
 * per call, and thrown errors to a reporter.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { createLogger, createTelemetry } from "@mcp-prod/telemetry";
 *
 * const telemetry = createTelemetry({ serviceName: "analytics-mcp", logger: createLogger() });
 * server.registerTool("search_users", config, telemetry.wrap("search_users", handler));
 * createServer(telemetry.metricsHandler()).listen(9464);
 * ```
 */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  const settings = readTelemetryOptions(options);
  const { serviceName, registry, enabled, logArgs, onError } = settings;

  const calls = registerMetric(
    () =>
      new Counter({
        name: "mcp_tool_calls_total",
        help: "Total tool calls",
        labelNames: ["tool", "status"],
        registers: [registry],
      }),
  );
  const duration = registerMetric(
    () =>
      new Histogram({
        name: "mcp_tool_duration_seconds",
        help: "Tool execution duration",
        labelNames: ["tool"],
        buckets: [...settings.buckets],
        registers: [registry],
      }),
  );
  if (settings.defaultMetrics) registerMetric(() => collectDefaultMetrics({ register: registry }));

  const log = settings.logger?.child(
    { service: serviceName },
    logArgs ? { redact: { paths: argumentRedactPaths(settings.redact), censor: REDACTED } } : {},
  );
  const observers = new Observers(registry);
  const ignore = () => noop;

  let closed = false;
  const assertOpen = () => {
    if (closed)
      throw new TelemetryError(
        "ETELEMETRYCLOSED",
        "This telemetry was closed: create a new one with createTelemetry()",
      );
  };
  const open =
    <Args extends unknown[], R>(run: (...args: Args) => R) =>
    (...args: Args): R => {
      assertOpen();
      return run(...args);
    };

  const wrap = <H extends ToolHandler>(tool: string, handler: H): H => {
    assertOpen();
    assertString(tool, "tool");
    assertFunction(handler, "handler");
    if (!enabled) return handler;
    const counters = {
      success: calls.labels({ tool, status: "success" }),
      degraded: calls.labels({ tool, status: "degraded" }),
      replayed: calls.labels({ tool, status: "replayed" }),
      error: calls.labels({ tool, status: "error" }),
      cancelled: calls.labels({ tool, status: "cancelled" }),
      limited: calls.labels({ tool, status: "limited" }),
      rejected: calls.labels({ tool, status: "rejected" }),
    };
    // Known tools show up at 0 before their first call, so rate() and alerts work from the start.
    for (const counter of Object.values(counters)) counter.inc(0);
    const timing = duration.labels({ tool });

    const record = (call: ToolCall, status: ToolCallStatus, startedAt: number, error: unknown) => {
      const elapsedMs = performance.now() - startedAt;
      counters[status].inc();
      timing.observe(elapsedMs / 1000);
      const level = status === "error" ? settings.errorLogLevel : settings.logLevel;
      if (log?.isLevelEnabled(level)) {
        const { requestId, sessionId, clientId } = readCallContext(call.extra);
        log[level](
          {
            event: "tool_called",
            tool,
            status,
            duration: Math.round(elapsedMs * 1000) / 1000,
            requestId,
            sessionId,
            clientId,
            ...(logArgs ? { args: call.args } : {}),
            ...(error !== undefined ? { err: serializeError(error) } : {}),
          },
          STATUS_MESSAGES[status],
        );
      }
    };

    const report = (call: ToolCall, error: unknown) => {
      if (!onError) return;
      const { requestId, sessionId } = readCallContext(call.extra);
      try {
        const pending = onError(error, {
          tool,
          args: call.args,
          service: serviceName,
          requestId,
          sessionId,
        });
        if (pending instanceof Promise) pending.catch(warnReporterFailure);
      } catch (reporterError) {
        warnReporterFailure(reporterError);
      }
    };

    const operations = settings.tracing
      ? serverOperations("tools/call", tool, toolIdentity(tool), undefined)
      : undefined;
    const invoke = handler as unknown as (this: unknown, ...params: unknown[]) => unknown;
    const wrapped = async function (this: unknown, ...params: unknown[]) {
      const startedAt = performance.now();
      const call = readToolCall(params);
      const operation = operations?.start(call);
      let settled = false;
      // A cancelled call is counted when the client cancels, even if the handler never settles.
      const removeAbortListener = onAbort(call.signal, () => {
        if (settled) return;
        settled = true;
        record(call, "cancelled", startedAt, undefined);
        operation?.finish("cancelled");
      });
      try {
        const result = await (operation
          ? operation.run(invoke, this, params)
          : invoke.apply(this, params));
        operation?.finish(isErrorResult(result) ? "tool_error" : undefined, result);
        if (!settled) {
          settled = true;
          record(call, statusOf(result), startedAt, undefined);
        }
        return result;
      } catch (error) {
        operation?.finish(call.signal?.aborted ? "cancelled" : errorType(error), undefined, error);
        if (!settled) {
          settled = true;
          record(call, "error", startedAt, error);
          report(call, error);
        }
        throw error;
      } finally {
        settled = true;
        removeAbortListener();
      }
    };
    return asToolHandler<H>(wrapped);
  };

  return {
    registry,
    wrap,
    observeBreaker: open(enabled ? (breaker) => observers.observeBreaker(breaker) : ignore),
    observeCache: open(enabled ? (cache) => observers.observeCache(cache) : ignore),
    observePool: open(enabled ? (pool) => observers.observePool(pool) : ignore),
    observeRateLimiter: open(enabled ? (limiter) => observers.observeRateLimiter(limiter) : ignore),
    observeIdempotency: open(enabled ? (store) => observers.observeIdempotency(store) : ignore),
    observeBreakers: open(
      enabled
        ? (breakers) =>
            observers.observeRegistry("breaker", breakers, (breaker) =>
              observers.observeBreaker(breaker),
            )
        : ignore,
    ),
    observeRateLimiters: open(
      enabled
        ? (limiters) =>
            observers.observeRegistry("limiter", limiters, (limiter) =>
              observers.observeRateLimiter(limiter),
            )
        : ignore,
    ),
    metrics: () => registry.metrics(),
    get contentType() {
      return registry.contentType;
    },
    metricsHandler: open((handlerOptions) => metricsHandler(registry, handlerOptions)),
    close: () => {
      closed = true;
      observers.close();
    },
  };
}
