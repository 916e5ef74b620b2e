import {
  assertBoolean,
  assertFunction,
  assertKnownKeys,
  assertOneOf,
  assertOptions,
  assertString,
  type ForeignKeys,
  optionKeys,
} from "@mcp-prod/internal";
import type { Level, Logger } from "pino";
import { Registry } from "prom-client";
import type { ErrorReporter } from "./error-reporter.ts";
import type { Telemetry } from "./telemetry.ts";

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

/** {@link TelemetryOptions} checked, with every default filled in. */
export type TelemetrySettings = {
  readonly serviceName: string;
  readonly logger: Logger | undefined;
  readonly registry: Registry;
  readonly onError: ErrorReporter | undefined;
  readonly enabled: boolean;
  readonly buckets: readonly number[];
  readonly defaultMetrics: boolean;
  readonly logArgs: boolean;
  readonly redact: readonly string[];
  readonly logLevel: Level;
  readonly errorLogLevel: Level;
  readonly tracing: boolean;
};

/** Checks the options of `createTelemetry()` and fills in the defaults. */
export function readTelemetryOptions(options: TelemetryOptions): TelemetrySettings {
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
  return {
    serviceName,
    logger,
    registry,
    onError,
    enabled,
    buckets,
    defaultMetrics,
    logArgs,
    redact,
    logLevel,
    errorLogLevel,
    tracing,
  };
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

/** Options of {@link withTelemetry}'s policy form. */
export type TelemetryPolicyOptions = {
  /** The telemetry recording the calls: what `createTelemetry()` returned. */
  readonly telemetry: Pick<Telemetry, "wrap">;
  /**
   * The `tool` label of the metrics and log lines.
   * @default the tool's name given to `compose`
   */
  readonly name?: string;
};

/** Options of {@link withTelemetry}: the telemetry and the tool's name. */
export type WithTelemetryOptions = TelemetryPolicyOptions & {
  /** The `tool` label of the metrics and log lines: the name the tool is registered under. */
  readonly name: string;
};

/** The option names of {@link TelemetryPolicyOptions} and {@link WithTelemetryOptions}. */
export const WITH_TELEMETRY_KEYS = optionKeys<TelemetryPolicyOptions>({
  telemetry: true,
  name: true,
});

/** Where another name for `withTelemetry`'s options lives here. */
export const WITH_TELEMETRY_FOREIGN_KEYS: ForeignKeys = {
  tool: "use `name` (the tool's name, the metrics' `tool` label)",
};
