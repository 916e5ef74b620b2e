import {
  assertKnownKeys,
  assertOneOf,
  assertOptions,
  optionKeys,
  redactSecrets,
} from "@mcp-prod/internal";
import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";

/**
 * Argument fields redacted from every log line that includes arguments, at
 * the top level and one object down (`args.password`, `args.auth.token`).
 *
 * @example
 * ```ts
 * SECRET_FIELDS.includes("apiKey"); // true
 * ```
 */
export const SECRET_FIELDS: readonly string[] = Object.freeze([
  "password",
  "passwd",
  "secret",
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "apiKey",
  "api_key",
  "authorization",
  "cookie",
  "clientSecret",
  "client_secret",
  "privateKey",
  "private_key",
]);

/**
 * The value a redacted field is logged as.
 *
 * @example
 * ```ts
 * // with logArgs: { "args": { "password": "[Redacted]", "query": "ada" } }
 * expect(line.args.password).toBe(REDACTED);
 * ```
 */
export const REDACTED = "[Redacted]";

/**
 * pino's error serializer with passwords in URLs, bearer tokens and
 * `key=value` secrets masked in every string it produces (message, stack,
 * causes): driver errors quote connection strings.
 */
export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  return redactStrings(pino.stdSerializers.err(error));
}

function redactStrings(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactSecrets(value);
  if (typeof value !== "object" || value === null || depth > 4) return value;
  if (Array.isArray(value)) return value.map((item) => redactStrings(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = redactStrings(item, depth + 1);
  return copy;
}

/** pino's levels, quietest last. */
const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** pino `redact` paths for the tool arguments under `args`: the secrets plus the caller's fields. */
export function argumentRedactPaths(fields: readonly string[]): string[] {
  const paths = SECRET_FIELDS.flatMap((field) => [`args.${field}`, `args.*.${field}`]);
  for (const field of fields) paths.push(`args.${field}`);
  return paths;
}

/**
 * Options of {@link createLogger}.
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: "debug", destination: pino.destination(2) });
 * ```
 */
export type CreateLoggerOptions = {
  /**
   * The lowest level written, usually from configuration (`LOG_LEVEL`).
   * @default "info"
   */
  readonly level?: string;
  /**
   * Extra pino `redact` paths, for fields of your own log lines.
   * @default []
   */
  readonly redact?: readonly string[];
  /**
   * Where lines go: any pino destination (`pino.destination(1)`, a file, a test's stream).
   * @default stdout
   */
  readonly destination?: DestinationStream;
};

const LOGGER_KEYS = optionKeys<CreateLoggerOptions>({
  level: true,
  redact: true,
  destination: true,
});

/**
 * A pino logger in a production shape: JSON lines with ISO
 * timestamps, the level as its label (`"level":"info"`), the level from
 * configuration. Pass it to `createTelemetry({ logger })`, or bring your own
 * pino logger.
 *
 * @example
 * ```ts
 * import { createLogger, createTelemetry } from "@mcp-prod/telemetry";
 *
 * const logger = createLogger({ level: process.env.LOG_LEVEL ?? "info" });
 * const telemetry = createTelemetry({ serviceName: "analytics-mcp", logger });
 * ```
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  assertOptions(options);
  assertKnownKeys(options, LOGGER_KEYS, "createLogger()", {
    stream: "use `destination` (a pino destination, e.g. `pino.destination(2)` for stderr)",
    transport: "not supported: pass a `destination`, or bring your own pino logger",
  });
  const { level = "info", redact = [], destination } = options;
  assertOneOf(level, "level", LEVELS);
  if (!Array.isArray(redact) || !redact.every((path) => typeof path === "string"))
    throw new TypeError("Expected `redact` to be an array of strings");
  const loggerOptions: LoggerOptions = {
    level,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: serializeError, error: serializeError },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(redact.length > 0 ? { redact: { paths: [...redact], censor: REDACTED } } : {}),
  };
  return destination ? pino(loggerOptions, destination) : pino(loggerOptions);
}
