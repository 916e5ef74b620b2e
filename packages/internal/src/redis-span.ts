import { endSpan, errorType, openTelemetry, type Tracer } from "./otel.ts";

/** The parts of an ioredis client a span names: never the password. */
type RedisLike = {
  readonly options?:
    | {
        readonly host?: unknown;
        readonly port?: unknown;
        readonly path?: unknown;
        readonly db?: unknown;
      }
    | undefined;
};

/**
 * Runs one Redis command in a CLIENT span on the OpenTelemetry database
 * conventions (`GET`, `db.system.name = redis`, `db.namespace` the database
 * index, `server.address`/`server.port`), a child of the caller's active span.
 * Keys and values are never recorded. Without a tracer it only calls `run`.
 * A rejection `isRefusal` accepts (a rate limit's "no") is not a failure.
 */
export function traceRedis<T>(
  tracer: Tracer | undefined,
  command: string,
  redis: object,
  run: () => Promise<T>,
  isRefusal?: (error: unknown) => boolean,
): Promise<T> {
  if (!tracer) return run();
  const otel = openTelemetry() as NonNullable<ReturnType<typeof openTelemetry>>;
  const { host, port, path, db = 0 } = (redis as RedisLike).options ?? {};
  const attributes: Record<string, string | number> = {
    "db.system.name": "redis",
    "db.operation.name": command,
    "db.namespace": String(db),
  };
  if (typeof path === "string" && path !== "") attributes["server.address"] = path;
  else if (typeof host === "string") {
    attributes["server.address"] = host;
    if (typeof port === "number") attributes["server.port"] = port;
  }
  const span = tracer.startSpan(command, { kind: otel.SpanKind.CLIENT, attributes });
  let pending: Promise<T>;
  try {
    pending = otel.context.with(otel.trace.setSpan(otel.context.active(), span), run);
  } catch (error) {
    pending = Promise.reject(error);
  }
  return pending.then(
    (reply) => {
      endSpan(otel, span, undefined, undefined);
      return reply;
    },
    (error: unknown) => {
      const refused = isRefusal?.(error) === true;
      endSpan(otel, span, refused ? undefined : errorType(error), refused ? undefined : error);
      throw error;
    },
  );
}
