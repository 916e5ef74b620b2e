import type { OpenTelemetryApi, Span } from "@mcp-prod/internal";

/** The `network.transport` values the conventions name for MCP. */
export const NETWORK_TRANSPORTS = ["tcp", "quic", "pipe", "unix"] as const;

/** `network.transport`: `tcp` (or `quic`) for Streamable HTTP, `pipe` for stdio. */
export type NetworkTransport = (typeof NETWORK_TRANSPORTS)[number];

type Carrier = Record<string, unknown>;

/** Reads W3C trace context fields (`traceparent`, `tracestate`, `baggage`) from a request's `_meta`. */
export const META_GETTER = {
  keys: (carrier: Carrier): string[] => Object.keys(carrier),
  get: (carrier: Carrier, key: string): string | undefined => {
    const value = carrier[key];
    return typeof value === "string" ? value : undefined;
  },
};

/** Writes them into a forwarded request's `_meta`. */
export const META_SETTER = {
  set: (carrier: Carrier, key: string, value: string): void => {
    carrier[key] = value;
  },
};

/** The request's `params._meta`, from the SDK's `extra` (1.x) or `ctx.mcpReq` (2.x). */
export function metaOf(extra: Record<string, unknown> | undefined): Carrier | undefined {
  if (!extra) return undefined;
  const meta = extra._meta ?? (extra.mcpReq as { _meta?: unknown } | undefined)?._meta;
  return typeof meta === "object" && meta !== null ? (meta as Carrier) : undefined;
}

/**
 * `error.type` of a thrown error, low in cardinality: its string `code`
 * (`ECONNREFUSED`, `ERR_BREAKER_OPEN`), a JSON-RPC error's numeric code
 * (`-32602`), `cancelled` for an `AbortError`, else its class name; `_OTHER`
 * for a thrown non-error.
 */
export function errorType(error: unknown): string {
  if (typeof error !== "object" || error === null) return "_OTHER";
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === "string" && code !== "") return code;
  if (name === "AbortError") return "cancelled";
  if (typeof code === "number" && Number.isInteger(code)) return String(code);
  if (typeof name === "string" && name !== "") return name;
  return error.constructor?.name || "_OTHER";
}

/**
 * Marks `span` failed the conventions' way when `failure` (an `error.type`) is
 * set: the attribute, ERROR status with the error's message, the exception as
 * an event. Then ends it.
 */
export function endSpan(
  otel: OpenTelemetryApi,
  span: Span,
  failure: string | undefined,
  error: unknown,
): void {
  if (failure !== undefined) {
    span.setAttribute("error.type", failure);
    if (error !== undefined) span.recordException(error as Error);
    span.setStatus({
      code: otel.SpanStatusCode.ERROR,
      ...(error instanceof Error ? { message: error.message } : {}),
    });
  }
  span.end();
}
