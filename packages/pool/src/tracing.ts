import {
  type Attributes,
  endSpan,
  errorType,
  openTelemetry,
  type Span,
  tracerSource,
} from "@mcp-prod/internal";
import type { PoolConfig, QueryConfig } from "pg";
import pg from "pg";

const tracers = tracerSource("@mcp-prod/pool");

/**
 * Where the pool's statements go, as OpenTelemetry database attributes:
 * `db.namespace`, `server.address`, `server.port`. Never the user or the password.
 */
export function databaseTarget(config: PoolConfig): Attributes {
  // pg resolves the connection string and the PG* variables the same way when it connects.
  const client = new pg.Client(config) as unknown as { connectionParameters: unknown };
  const { host, port, database } = client.connectionParameters as {
    host?: unknown;
    port?: unknown;
    database?: unknown;
  };
  const target: Record<string, string | number> = { "db.system.name": "postgresql" };
  if (typeof database === "string" && database !== "") target["db.namespace"] = database;
  if (typeof host === "string" && host !== "") target["server.address"] = host;
  if (typeof port === "number" && Number.isInteger(port)) target["server.port"] = port;
  return target;
}

/**
 * Starts the CLIENT span of one statement on the OpenTelemetry database
 * conventions (`SELECT users`, `db.operation.name = SELECT`), a child of the
 * caller's active span; `undefined`, at the cost of a few property reads, while no
 * OpenTelemetry SDK is registered. The statement's text and values are never recorded.
 */
export function startStatementSpan(
  text: string | QueryConfig,
  target: () => Attributes,
): Span | undefined {
  const tracer = tracers();
  if (!tracer) return undefined;
  const otel = openTelemetry() as NonNullable<ReturnType<typeof openTelemetry>>;
  const attributes = target();
  const operation = operationOf(typeof text === "string" ? text : text?.text);
  const namespace = attributes["db.namespace"] ?? "postgresql";
  return tracer.startSpan(operation ? `${operation} ${namespace}` : String(namespace), {
    kind: otel.SpanKind.CLIENT,
    attributes: operation ? { ...attributes, "db.operation.name": operation } : attributes,
  });
}

/** Ends a statement's span: `error.type` and `db.response.status_code` are the SQLSTATE on a server error. */
export function endStatementSpan(span: Span, error?: unknown): void {
  const otel = openTelemetry() as NonNullable<ReturnType<typeof openTelemetry>>;
  if (error === undefined) {
    endSpan(otel, span, undefined, undefined);
    return;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code))
    span.setAttribute("db.response.status_code", code);
  endSpan(otel, span, errorType(error), error);
}

/** Settles like `pending`, ending `span` first. */
export function traced<T>(pending: Promise<T>, span: Span | undefined): Promise<T> {
  if (!span) return pending;
  return pending.then(
    (result) => {
      endStatementSpan(span);
      return result;
    },
    (error: unknown) => {
      endStatementSpan(span, error);
      throw error;
    },
  );
}

/** The statement's first keyword (`SELECT`, `INSERT`, `WITH`…), after any leading comments. */
function operationOf(sql: unknown): string | undefined {
  if (typeof sql !== "string") return undefined;
  const match = /^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*([A-Za-z]{2,20})\b/.exec(sql);
  return match?.[1]?.toUpperCase();
}
