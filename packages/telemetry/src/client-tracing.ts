import {
  type Attributes,
  assertKnownKeys,
  assertOneOf,
  assertOptions,
  assertPositiveInteger,
  assertString,
  endSpan,
  errorType,
  isErrorResult,
  openTelemetry,
  optionKeys,
  tracerSource,
} from "@mcp-prod/internal";
import { clientInstruments, INSTRUMENTATION_SCOPE } from "./otel-metrics.ts";
import { META_SETTER, NETWORK_TRANSPORTS, type NetworkTransport } from "./trace-context.ts";

const tracers = tracerSource(INSTRUMENTATION_SCOPE);

/**
 * A copy of a request's `_meta` carrying the active trace context
 * (`traceparent`, `tracestate`, `baggage`), so the MCP server it is sent to
 * continues the trace. Returns `meta` itself when no OpenTelemetry SDK is
 * registered.
 *
 * @example
 * ```ts
 * await client.callTool({ name, arguments: args, _meta: injectTraceContext(request.params._meta) });
 * ```
 */
export function injectTraceContext(
  meta?: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> | undefined {
  const otel = openTelemetry();
  if (!otel || !tracers()) return meta as Record<string, unknown> | undefined;
  const carrier: Record<string, unknown> = { ...meta };
  otel.propagation.inject(otel.context.active(), carrier, META_SETTER);
  return carrier;
}

/**
 * Options of {@link traceClientCall}.
 *
 * @example
 * ```ts
 * const options: ClientCallOptions = { method: "tools/call", target: "search_users", serverAddress: "users", serverPort: 3001 };
 * ```
 */
export type ClientCallOptions = {
  /** `mcp.method.name` of the forwarded request: `tools/call`, `prompts/get`, `resources/read`… */
  readonly method: string;
  /** The tool or prompt name: the span is named `<method> <target>`. @default undefined */
  readonly target?: string | undefined;
  /** `server.address` of the MCP server called. @default undefined */
  readonly serverAddress?: string | undefined;
  /** `server.port` of the MCP server called. @default undefined */
  readonly serverPort?: number | undefined;
  /** `mcp.session.id` of the session with that server. @default undefined */
  readonly sessionId?: string | undefined;
  /** `mcp.protocol.version` negotiated with that server. @default undefined */
  readonly protocolVersion?: string | undefined;
  /** `network.transport`. @default "tcp" */
  readonly networkTransport?: NetworkTransport | undefined;
  /** The `_meta` of the request being forwarded; the trace context is added to a copy. @default undefined */
  readonly meta?: Readonly<Record<string, unknown>> | undefined;
};

const KNOWN_KEYS = optionKeys<ClientCallOptions>({
  method: true,
  target: true,
  serverAddress: true,
  serverPort: true,
  sessionId: true,
  protocolVersion: true,
  networkTransport: true,
  meta: true,
});

/**
 * Runs one forwarded MCP request in a CLIENT span `<method> <target>` on the
 * MCP semantic conventions and records `mcp.client.operation.duration`.
 * `send` receives the `_meta` to forward: `options.meta` plus this span's
 * trace context. `error.type` is `tool_error` for an `isError` result, the
 * JSON-RPC error code or the error's class for a rejection. Without a
 * registered SDK, `send` receives `options.meta` and nothing else happens.
 *
 * @example
 * ```ts
 * const result = await traceClientCall(
 *   { method: "tools/call", target: name, serverAddress: "users", serverPort: 3001, meta: request.params._meta },
 *   (_meta) => backend.callTool({ name, arguments: args, _meta }),
 * );
 * ```
 */
export async function traceClientCall<Result>(
  options: ClientCallOptions,
  send: (meta: Record<string, unknown> | undefined) => Promise<Result>,
): Promise<Result> {
  assertOptions(options);
  assertKnownKeys(options, KNOWN_KEYS, "traceClientCall()");
  const {
    method,
    target,
    serverAddress,
    serverPort,
    sessionId,
    protocolVersion,
    networkTransport = "tcp",
    meta,
  } = options;
  assertString(method, "method");
  assertString(target, "target", true);
  assertString(serverAddress, "serverAddress", true);
  if (serverPort !== undefined) assertPositiveInteger(serverPort, "serverPort");
  assertString(sessionId, "sessionId", true);
  assertString(protocolVersion, "protocolVersion", true);
  assertOneOf(networkTransport, "networkTransport", NETWORK_TRANSPORTS);

  const tracer = tracers();
  const instruments = clientInstruments();
  if (!tracer && !instruments) return send(meta as Record<string, unknown> | undefined);
  const otel = openTelemetry() as NonNullable<ReturnType<typeof openTelemetry>>;

  const shared: Record<string, string | number> = {
    "mcp.method.name": method,
    "network.transport": networkTransport,
  };
  if (target !== undefined) {
    if (method === "tools/call") {
      shared["gen_ai.tool.name"] = target;
      shared["gen_ai.operation.name"] = "execute_tool";
    } else if (method === "prompts/get") shared["gen_ai.prompt.name"] = target;
  }
  if (protocolVersion !== undefined) shared["mcp.protocol.version"] = protocolVersion;
  if (serverAddress !== undefined) shared["server.address"] = serverAddress;
  if (serverPort !== undefined) shared["server.port"] = serverPort;

  const startedAt = performance.now();
  const span = tracer?.startSpan(target === undefined ? method : `${method} ${target}`, {
    kind: otel.SpanKind.CLIENT,
    attributes: sessionId === undefined ? shared : { ...shared, "mcp.session.id": sessionId },
  });
  const spanContext = span ? otel.trace.setSpan(otel.context.active(), span) : undefined;
  let forwarded = meta as Record<string, unknown> | undefined;
  if (spanContext) {
    forwarded = { ...meta };
    otel.propagation.inject(spanContext, forwarded, META_SETTER);
  }

  const finish = (failure: string | undefined, error?: unknown, statusCode?: string) => {
    if (span) {
      if (statusCode !== undefined) span.setAttribute("rpc.response.status_code", statusCode);
      endSpan(otel, span, failure, error);
    }
    if (instruments) {
      const attributes: Attributes =
        failure === undefined
          ? shared
          : {
              ...shared,
              "error.type": failure,
              ...(statusCode ? { "rpc.response.status_code": statusCode } : {}),
            };
      instruments.duration.record((performance.now() - startedAt) / 1000, attributes);
    }
  };

  try {
    const result = await (spanContext
      ? otel.context.with(spanContext, send, undefined, forwarded)
      : send(forwarded));
    finish(isErrorResult(result) ? "tool_error" : undefined);
    return result;
  } catch (error) {
    const type = errorType(error);
    const code = (error as { code?: unknown } | null)?.code;
    finish(type, error, typeof code === "number" ? String(code) : undefined);
    throw error;
  }
}
