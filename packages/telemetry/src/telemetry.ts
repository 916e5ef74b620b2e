import {
  assertBoolean,
  assertFunction,
  assertKnownKeys,
  assertOneOf,
  assertOptions,
  assertString,
  errorType,
  isToolResult,
  onAbort,
  optionKeys,
  readToolCall,
  type ToolCall,
  type ToolHandler,
} from "@mcp-prod/internal";
import type { Level, Logger } from "pino";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { TelemetryError } from "./errors.ts";
import { argumentRedactPaths, REDACTED, serializeError } from "./logger.ts";
import {
  type MetricsHandler,
  type MetricsHandlerOptions,
  metricsHandler,
} from "./metrics-handler.ts";
import {
  type ObservedBreaker,
  type ObservedCache,
  type ObservedPool,
  type ObservedRateLimiter,
  Observers,
  registerMetric,
} from "./observers.ts";
import { isDegraded } from "./outcomes.ts";
import { isErrorResult, serverOperations, toolIdentity } from "./tracing.ts";

/**
 * How a tool call ended: `error` covers a thrown error and an `isError` result
 * alike, except refusals: `limited` for a result a rate limiter produced
 * (`_meta["mcp-prod/ratelimit"]`), `rejected` for one an open breaker or a full
 * bulkhead produced (`_meta["mcp-prod/breaker"].open`,
 * `_meta["mcp-prod/bulkhead"].rejected`), so an abusive client does not inflate
 * error rates; `degraded` is a result a fallback served
 * (`_meta["mcp-prod/fallback"].degraded`).
 *
 * @example
 * ```ts
 * // mcp_tool_calls_total{tool="search_users",status="cancelled"}
 * const statuses: ToolCallStatus[] = ["success", "error", "cancelled", "limited", "rejected"];
 * ```
 */
export type ToolCallStatus =
  | "success"
  | "degraded"
  | "error"
  | "cancelled"
  | "limited"
  | "rejected";

/**
 * What an error reporter is told besides the error itself.
 *
 * @example
 * ```ts
 * createTelemetry({
 *   serviceName: "analytics-mcp",
 *   onError: (error, { tool, requestId }) => alerts.notify({ error, tool, requestId }),
 * });
 * ```
 */
export type ErrorContext = {
  /** The tool whose handler threw. */
  readonly tool: string;
  /** The call's arguments as the handler received them (`undefined` for a tool without an input schema). */
  readonly args: unknown;
  /** The telemetry's `serviceName`. */
  readonly service: string;
  /** The JSON-RPC request id, when the SDK gives one. */
  readonly requestId: string | number | undefined;
  /** The MCP session id, on transports that have sessions. */
  readonly sessionId: string | undefined;
};

/**
 * Called once for each error a tool handler throws (not for `isError` results
 * the handler chose to return, nor for cancelled calls). Whatever it throws or
 * rejects with becomes a process warning; the tool call is never affected.
 *
 * @example
 * ```ts
 * const onError: ErrorReporter = (error, { tool }) => errorTracker.capture(error, { tool });
 * ```
 */
export type ErrorReporter = (error: unknown, context: ErrorContext) => unknown;

/**
 * The default buckets of `mcp_tool_duration_seconds`: 10 ms to 5 s.
 *
 * @example
 * ```ts
 * createTelemetry({ serviceName: "svc", buckets: [...DEFAULT_DURATION_BUCKETS, 30] });
 * ```
 */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.01, 0.05, 0.1, 0.5, 1, 5,
]);

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

/**
 * Options of {@link createTelemetry}.
 *
 * @example
 * ```ts
 * const options: TelemetryOptions = { serviceName: "analytics-mcp", logArgs: true, redact: ["email"] };
 * ```
 */
export type TelemetryOptions = {
  /** The service's name: a `service` field on every log line and in the error reporter's context. */
  readonly serviceName: string;
  /**
   * A pino logger for one `tool_called` line per call; without one nothing is logged.
   * {@link createLogger} builds one (JSON lines, ISO time, level labels).
   * @default undefined
   */
  readonly logger?: Logger | undefined;
  /**
   * The prom-client registry the metrics go to; one telemetry per registry.
   * @default a new `Registry`
   */
  readonly registry?: Registry | undefined;
  /**
   * Reports errors thrown by tool handlers; {@link sentryReporter} adapts `@sentry/node`.
   * @default undefined
   */
  readonly onError?: ErrorReporter | undefined;
  /**
   * `false` makes `wrap` return the handler itself and the observers do nothing:
   * no work at all on the call path.
   * @default true
   */
  readonly enabled?: boolean | undefined;
  /**
   * Buckets of `mcp_tool_duration_seconds`, in seconds.
   * @default [0.01, 0.05, 0.1, 0.5, 1, 5]
   */
  readonly buckets?: readonly number[] | undefined;
  /**
   * Also register prom-client's default process metrics (CPU, memory, event loop lag, GC).
   * @default false
   */
  readonly defaultMetrics?: boolean | undefined;
  /**
   * Log each call's arguments under `args`, with the secret fields and
   * {@link TelemetryOptions.redact} fields replaced by `"[Redacted]"` (pino's `redact`).
   * @default false
   */
  readonly logArgs?: boolean | undefined;
  /**
   * Further argument fields to redact when `logArgs` is on, as pino paths
   * relative to the arguments (`"email"`, `"user.ssn"`, `"items[*].card"`).
   * @default []
   */
  readonly redact?: readonly string[] | undefined;
  /**
   * Level of the line for a successful or cancelled call.
   * @default "info"
   */
  readonly logLevel?: Level | undefined;
  /**
   * Level of the line for a failed call.
   * @default "error"
   */
  readonly errorLogLevel?: Level | undefined;
  /**
   * Also trace each call on the OpenTelemetry MCP conventions ({@link traceTool}):
   * a SERVER span and `mcp.server.operation.duration`, through `@opentelemetry/api`
   * when an SDK is registered; nothing happens without one.
   * @default true
   */
  readonly tracing?: boolean | undefined;
};

const TELEMETRY_KEYS = optionKeys<TelemetryOptions>({
  serviceName: true,
  logger: true,
  registry: true,
  onError: true,
  enabled: true,
  buckets: true,
  defaultMetrics: true,
  logArgs: true,
  redact: true,
  logLevel: true,
  errorLogLevel: true,
  tracing: true,
});

const TELEMETRY_FOREIGN_KEYS = {
  name: "use `serviceName`",
  service: "use `serviceName`",
  register: "use `registry` (a prom-client Registry)",
  prefix: "not supported: metric names are fixed so dashboards work unchanged",
  collectDefaultMetrics: "use `defaultMetrics: true`",
};

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
   * Turns a breaker's events and `stats()` into `mcp_breaker_*` metrics.
   * Returns the function that stops observing it.
   */
  observeBreaker(breaker: ObservedBreaker): () => void;
  /** Turns a cache's events into `mcp_cache_*` metrics. Returns the function that stops observing it. */
  observeCache(cache: ObservedCache): () => void;
  /** Turns a pool's events and `stats()` into `mcp_pool_*` metrics. Returns the function that stops observing it. */
  observePool(pool: ObservedPool): () => void;
  /** Turns a rate limiter's events into `mcp_ratelimit_*` metrics. Returns the function that stops observing it. */
  observeRateLimiter(limiter: ObservedRateLimiter): () => void;
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
   * `"ETELEMETRY_CLOSED"`.
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
  assertOptions(options);
  if (options === undefined)
    throw new TypeError("Expected `options` to be an object, got undefined");
  assertKnownKeys(options, TELEMETRY_KEYS, "createTelemetry()", TELEMETRY_FOREIGN_KEYS);
  const {
    serviceName,
    logger,
    registry = new Registry(),
    onError,
    enabled = true,
    buckets = DEFAULT_DURATION_BUCKETS,
    defaultMetrics = false,
    logArgs = false,
    redact = [],
    logLevel = "info",
    errorLogLevel = "error",
    tracing = true,
  } = options;
  assertString(serviceName, "serviceName");
  if (logger !== undefined && (typeof logger !== "object" || typeof logger?.child !== "function"))
    throw new TypeError("Expected `logger` to be a pino logger");
  if (typeof (registry as { metrics?: unknown } | null)?.metrics !== "function")
    throw new TypeError("Expected `registry` to be a prom-client Registry");
  assertFunction(onError, "onError", true);
  assertBoolean(enabled, "enabled");
  assertBoolean(defaultMetrics, "defaultMetrics");
  assertBoolean(logArgs, "logArgs");
  assertBoolean(tracing, "tracing");
  assertOneOf(logLevel, "logLevel", LEVELS);
  assertOneOf(errorLogLevel, "errorLogLevel", LEVELS);
  assertBuckets(buckets);
  if (!Array.isArray(redact) || !redact.every((path) => typeof path === "string" && path !== ""))
    throw new TypeError("Expected `redact` to be an array of non-empty strings");

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
        buckets: [...buckets],
        registers: [registry],
      }),
  );
  if (defaultMetrics) registerMetric(() => collectDefaultMetrics({ register: registry }));

  const log = logger?.child(
    { service: serviceName },
    logArgs ? { redact: { paths: argumentRedactPaths(redact), censor: REDACTED } } : {},
  );
  const observers = new Observers(registry);
  const ignore = () => noop;

  let closed = false;
  const assertOpen = () => {
    if (closed)
      throw new TelemetryError(
        "ETELEMETRY_CLOSED",
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
      const level = status === "error" ? errorLogLevel : logLevel;
      if (log?.isLevelEnabled(level)) {
        log[level](
          {
            event: "tool_called",
            tool,
            status,
            duration: Math.round(elapsedMs * 1000) / 1000,
            ...readIdentity(call.extra),
            ...(logArgs ? { args: call.args } : {}),
            ...(error !== undefined ? { err: serializeError(error) } : {}),
          },
          MESSAGES[status],
        );
      }
    };

    const report = (call: ToolCall, error: unknown) => {
      if (!onError) return;
      const { requestId, sessionId } = readIdentity(call.extra);
      try {
        const pending = onError(error, {
          tool,
          args: call.args,
          service: serviceName,
          requestId,
          sessionId,
        });
        if (pending instanceof Promise) pending.catch(warn);
      } catch (reporterError) {
        warn(reporterError);
      }
    };

    const operations = tracing
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
    return wrapped as unknown as H;
  };

  return {
    registry,
    wrap,
    observeBreaker: open(enabled ? (breaker) => observers.observeBreaker(breaker) : ignore),
    observeCache: open(enabled ? (cache) => observers.observeCache(cache) : ignore),
    observePool: open(enabled ? (pool) => observers.observePool(pool) : ignore),
    observeRateLimiter: open(enabled ? (limiter) => observers.observeRateLimiter(limiter) : ignore),
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

const MESSAGES: Record<ToolCallStatus, string> = {
  success: "Tool execution completed",
  degraded: "Tool execution degraded: a fallback answered",
  error: "Tool execution failed",
  cancelled: "Tool execution cancelled",
  limited: "Tool call refused by a rate limit",
  rejected: "Tool call refused by an open circuit breaker or a full bulkhead",
};

/** A result's status, from the `_meta` keys mcp-prod's wrappers mark their answers with. */
function statusOf(result: unknown): ToolCallStatus {
  if (!isToolResult(result)) return "success";
  if (result.isError !== true) return isDegraded(result) ? "degraded" : "success";
  const meta = (result as { _meta?: Record<string, unknown> })._meta;
  if ((meta?.["mcp-prod/ratelimit"] as { limited?: unknown } | undefined)?.limited === true)
    return "limited";
  if (
    (meta?.["mcp-prod/breaker"] as { open?: unknown } | undefined)?.open === true ||
    (meta?.["mcp-prod/bulkhead"] as { rejected?: unknown } | undefined)?.rejected === true
  )
    return "rejected";
  return "error";
}

/** Who made the call, from the SDK's `extra` (1.x) or `ctx` (2.x); never the arguments. */
function readIdentity(extra: Record<string, unknown> | undefined): {
  requestId: string | number | undefined;
  sessionId: string | undefined;
  clientId: string | undefined;
} {
  if (!extra) return { requestId: undefined, sessionId: undefined, clientId: undefined };
  const request = extra.mcpReq as { id?: unknown } | undefined;
  const requestId = idOf(extra.requestId) ?? idOf(request?.id);
  const sessionId = typeof extra.sessionId === "string" ? extra.sessionId : undefined;
  const auth = extra.authInfo as { clientId?: unknown } | undefined;
  const clientId = typeof auth?.clientId === "string" ? auth.clientId : undefined;
  return { requestId, sessionId, clientId };
}

function idOf(value: unknown): string | number | undefined {
  return typeof value === "string" || typeof value === "number" ? value : undefined;
}

function assertBuckets(buckets: unknown): void {
  const valid =
    Array.isArray(buckets) &&
    buckets.length > 0 &&
    buckets.every(
      (bucket, index) =>
        typeof bucket === "number" &&
        Number.isFinite(bucket) &&
        bucket > 0 &&
        (index === 0 || bucket > (buckets[index - 1] as number)),
    );
  if (!valid)
    throw new TypeError(
      "Expected `buckets` to be a non-empty array of increasing positive numbers",
    );
}

/** A reporter's own failure must not reach the tool call; it is surfaced as a process warning. */
function warn(error: unknown): void {
  process.emitWarning(
    error instanceof Error ? error : new Error(String(error)),
    "McpProdTelemetryWarning",
  );
}

function noop(): void {}
