import { createRequire } from "node:module";
import type * as OpenTelemetryApiModule from "@opentelemetry/api";
import { describeError } from "./redact.ts";

/** The `@opentelemetry/api` module, as the application installed it. */
export type OpenTelemetryApi = typeof OpenTelemetryApiModule;
export type Tracer = OpenTelemetryApiModule.Tracer;
export type Span = OpenTelemetryApiModule.Span;
export type Context = OpenTelemetryApiModule.Context;
type Meter = OpenTelemetryApiModule.Meter;
export type Attributes = OpenTelemetryApiModule.Attributes;

let api: OpenTelemetryApi | null | undefined;

/**
 * `@opentelemetry/api` when the application has it installed, `undefined`
 * otherwise. It is an optional peer dependency of every package that emits
 * spans: loaded once, on first use, never bundled.
 */
export function openTelemetry(): OpenTelemetryApi | undefined {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)("@opentelemetry/api") as OpenTelemetryApi;
    } catch {
      api = null;
    }
  }
  return api ?? undefined;
}

/**
 * A tracer for one instrumentation scope, or `undefined` while no OpenTelemetry
 * SDK is registered, so that an application without one pays a property read
 * per operation and nothing else. An SDK registered later is picked up.
 */
export function tracerSource(scope: string, version?: string): () => Tracer | undefined {
  let delegate: unknown;
  let tracer: Tracer | undefined;
  let noopProvider: unknown;
  return () => {
    const otel = openTelemetry();
    if (!otel) return undefined;
    // A fresh proxy's delegate is this copy's no-op provider: the global one is
    // that same object exactly when no SDK was registered through any copy.
    noopProvider ??= new otel.ProxyTracerProvider().getDelegate();
    const provider = otel.trace.getTracerProvider() as Partial<
      Pick<OpenTelemetryApiModule.ProxyTracerProvider, "getDelegate">
    > &
      OpenTelemetryApiModule.TracerProvider;
    const current = provider.getDelegate?.() ?? provider;
    if (current === noopProvider) return undefined;
    if (current !== delegate) {
      delegate = current;
      tracer = provider.getTracer(scope, version);
    }
    return tracer;
  };
}

/**
 * Instruments built on the current global meter, or `undefined` while no
 * OpenTelemetry SDK provides one. Rebuilt when the global meter provider changes
 * (the metrics API has no proxy provider: one registered after start-up still counts).
 */
export function meterSource<Instruments>(
  scope: string,
  version: string | undefined,
  build: (meter: Meter, otel: OpenTelemetryApi) => Instruments,
): () => Instruments | undefined {
  let provider: unknown;
  let instruments: Instruments | undefined;
  return () => {
    const otel = openTelemetry();
    if (!otel) return undefined;
    const current = otel.metrics.getMeterProvider();
    if (current !== provider) {
      provider = current;
      const meter = current.getMeter(scope, version);
      // The no-op meter records nothing: skip building attributes for it.
      instruments =
        meter.constructor === otel.createNoopMeter().constructor ? undefined : build(meter, otel);
    }
    return instruments;
  };
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
      ...(error instanceof Error ? { message: describeError(error) } : {}),
    });
  }
  span.end();
}
