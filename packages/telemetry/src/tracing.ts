import {
  type Attributes,
  assertFunction,
  assertKnownKeys,
  assertOneOf,
  assertOptions,
  assertString,
  asToolHandler,
  type Context,
  endSpan,
  errorType,
  isErrorResult,
  type OpenTelemetryApi,
  onAbort,
  openTelemetry,
  optionKeys,
  readCallContext,
  readRequestHeader,
  readToolCall,
  type Span,
  type ToolCall,
  type ToolHandler,
  type Tracer,
  tracerSource,
} from "@mcp-prod/internal";
import { INSTRUMENTATION_SCOPE, serverInstruments } from "./otel-metrics.ts";
import { isDegraded, outcomeAttributes } from "./outcomes.ts";
import { META_GETTER, NETWORK_TRANSPORTS, type NetworkTransport } from "./trace-context.ts";

/** The MCP requests a server handles through a handler it registers and can wrap. */
export type McpServerMethod = "tools/call" | "prompts/get" | "resources/read";

/**
 * Options of {@link traceTool}, {@link tracePrompt} and {@link traceResource}.
 *
 * @example
 * ```ts
 * const options: TraceOptions = { networkTransport: "pipe" }; // a stdio server
 * ```
 */
export type TraceOptions = {
  /**
   * `network.transport` of the spans and metrics: `"pipe"` for stdio.
   * @default "tcp" for a request that came over HTTP, absent otherwise
   */
  readonly networkTransport?: NetworkTransport | undefined;
  /**
   * `mcp.protocol.version` when the transport does not tell it.
   * @default the request's `Mcp-Protocol-Version` header, absent without one
   */
  readonly protocolVersion?: string | undefined;
};

const KNOWN_KEYS = optionKeys<TraceOptions>({ networkTransport: true, protocolVersion: true });

const WHERE: Record<McpServerMethod, string> = {
  "tools/call": "traceTool()",
  "prompts/get": "tracePrompt()",
  "resources/read": "traceResource()",
};

const tracers = tracerSource(INSTRUMENTATION_SCOPE);

/**
 * Traces a tool handler on the OpenTelemetry MCP semantic conventions: a
 * SERVER span `tools/call <tool>` per call, continuing the trace the client
 * put in `params._meta` (`traceparent`, `tracestate`, `baggage`) or else the
 * active one, with `error.type` on failure (`tool_error` for an `isError`
 * result, the error's code or class for a throw, `cancelled`), the outcomes
 * of mcp-prod's wrappers as `mcp_prod.*` attributes, and one
 * `mcp.server.operation.duration` observation. Through `@opentelemetry/api`
 * only: without a registered SDK the handler runs as if unwrapped.
 * `telemetry.wrap` applies it for you.
 *
 * @example
 * ```ts
 * server.registerTool("search_users", config, traceTool("search_users", handler));
 * ```
 */
export function traceTool<H extends ToolHandler>(
  tool: string,
  handler: H,
  options?: TraceOptions,
): H {
  assertString(tool, "tool");
  return instrument("tools/call", tool, handler, options, toolIdentity(tool));
}

/** The attributes naming a tool call on the conventions. */
export function toolIdentity(tool: string): Attributes {
  return {
    "mcp.method.name": "tools/call",
    "gen_ai.tool.name": tool,
    "gen_ai.operation.name": "execute_tool",
  };
}

/**
 * Traces a prompt handler: a SERVER span `prompts/get <prompt>` per request,
 * as {@link traceTool} does for tools.
 *
 * @example
 * ```ts
 * server.registerPrompt("review", config, tracePrompt("review", handler));
 * ```
 */
export function tracePrompt<H extends ToolHandler>(
  prompt: string,
  handler: H,
  options?: TraceOptions,
): H {
  assertString(prompt, "prompt");
  return instrument("prompts/get", prompt, handler, options, {
    "mcp.method.name": "prompts/get",
    "gen_ai.prompt.name": prompt,
  });
}

/**
 * Traces a resource read callback: a SERVER span `resources/read` per request
 * (the URI, high in cardinality, is the `mcp.resource.uri` attribute, never the
 * span name), as {@link traceTool} does for tools.
 *
 * @example
 * ```ts
 * server.registerResource("user", template, metadata, traceResource("user", read));
 * ```
 */
export function traceResource<H extends ToolHandler>(
  name: string,
  handler: H,
  options?: TraceOptions,
): H {
  assertString(name, "name");
  return instrument("resources/read", undefined, handler, options, {
    "mcp.method.name": "resources/read",
  });
}

function instrument<H extends ToolHandler>(
  method: McpServerMethod,
  target: string | undefined,
  handler: H,
  options: TraceOptions | undefined,
  identity: Attributes,
): H {
  assertFunction(handler, "handler");
  const operations = serverOperations(method, target, identity, options);
  const invoke = handler as unknown as (this: unknown, ...params: unknown[]) => unknown;

  const traced = function (this: unknown, ...params: unknown[]): unknown {
    const call = readToolCall(params);
    const operation = operations.start(call);
    // No SDK registered: the handler runs as if unwrapped.
    if (!operation) return invoke.apply(this, params);
    // A cancelled request ends its span when the client cancels, even if the handler never settles.
    const removeAbortListener = onAbort(call.signal, () => operation.finish("cancelled"));
    let pending: unknown;
    try {
      pending = operation.run(invoke, this, params);
    } catch (error) {
      removeAbortListener();
      operation.finish(errorType(error), undefined, error);
      throw error;
    }
    return Promise.resolve(pending).then(
      (result) => {
        removeAbortListener();
        operation.finish(isErrorResult(result) ? "tool_error" : undefined, result);
        return result;
      },
      (error: unknown) => {
        removeAbortListener();
        operation.finish(call.signal?.aborted ? "cancelled" : errorType(error), undefined, error);
        throw error;
      },
    );
  };
  return asToolHandler<H>(traced);
}

/**
 * The spans and duration metric of one kind of server operation (`tools/call
 * search_users`), validated once; `start` begins one request's, or returns
 * `undefined` while no OpenTelemetry SDK is registered. `telemetry.wrap` drives
 * it from its own settle logic, so a wrapped tool pays for one abort listener, not two.
 */
export function serverOperations(
  method: McpServerMethod,
  target: string | undefined,
  identity: Attributes,
  options: TraceOptions | undefined,
): { start(call: ToolCall): ServerOperation | undefined } {
  assertOptions(options);
  assertKnownKeys(options, KNOWN_KEYS, WHERE[method]);
  const { networkTransport, protocolVersion } = options ?? {};
  assertOneOf(networkTransport, "networkTransport", NETWORK_TRANSPORTS, true);
  assertString(protocolVersion, "protocolVersion", true);
  const spanName = target === undefined ? method : `${method} ${target}`;
  return {
    start(call) {
      const tracer = tracers();
      const instruments = serverInstruments();
      if (!tracer && !instruments) return undefined;
      const otel = openTelemetry() as OpenTelemetryApi;
      const shared = sharedAttributes(identity, call, networkTransport, protocolVersion);
      return new ServerOperation(otel, tracer, instruments, spanName, method, shared, call);
    },
  };
}

/** One request's span and duration: started on receipt, finished once. */
export class ServerOperation {
  readonly #otel: OpenTelemetryApi;
  readonly #instruments: ReturnType<typeof serverInstruments>;
  readonly #shared: Attributes;
  readonly #startedAt = performance.now();
  readonly #span: Span | undefined;
  readonly #context: Context | undefined;
  #finished = false;

  constructor(
    otel: OpenTelemetryApi,
    tracer: Tracer | undefined,
    instruments: ReturnType<typeof serverInstruments>,
    spanName: string,
    method: McpServerMethod,
    shared: Attributes,
    call: ToolCall,
  ) {
    this.#otel = otel;
    this.#instruments = instruments;
    this.#shared = shared;
    if (!tracer) return;
    const active = otel.context.active();
    const meta = readCallContext(call.extra).meta as Record<string, unknown> | undefined;
    const parent = meta ? otel.propagation.extract(active, meta, META_GETTER) : active;
    // The conventions: the client's context is the parent, the transport's (an HTTP span) a link.
    const ambient = parent === active ? undefined : otel.trace.getSpanContext(active);
    this.#span = tracer.startSpan(
      spanName,
      {
        kind: otel.SpanKind.SERVER,
        attributes: spanAttributes(shared, call, method),
        ...(ambient && otel.isSpanContextValid(ambient) ? { links: [{ context: ambient }] } : {}),
      },
      parent,
    );
    this.#context = otel.trace.setSpan(parent, this.#span);
  }

  /** Calls the handler with this operation's span active. */
  run(
    invoke: (this: unknown, ...params: unknown[]) => unknown,
    self: unknown,
    params: unknown[],
  ): unknown {
    return this.#context
      ? this.#otel.context.with(this.#context, invoke, self, ...params)
      : invoke.apply(self, params);
  }

  /** Ends the span and records the duration; `failure` is the `error.type`. Later calls do nothing. */
  finish(failure: string | undefined, result?: unknown, error?: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    const degraded = failure === undefined && isDegraded(result);
    const span = this.#span;
    if (span) {
      const outcomes = outcomeAttributes(result);
      if (outcomes) span.setAttributes(outcomes);
      if (degraded) span.setAttribute("mcp_prod.degraded", true);
      endSpan(this.#otel, span, failure, error);
    }
    const instruments = this.#instruments;
    if (instruments) {
      const shared = this.#shared;
      const attributes = failure === undefined ? shared : { ...shared, "error.type": failure };
      instruments.duration.record((performance.now() - this.#startedAt) / 1000, attributes);
      if (degraded) instruments.degraded.add(1, shared);
    }
  }
}

/** The attributes of both the span and the duration metric: low in cardinality. */
function sharedAttributes(
  identity: Attributes,
  call: ToolCall,
  networkTransport: NetworkTransport | undefined,
  protocolVersion: string | undefined,
): Attributes {
  const transport = networkTransport ?? (readCallContext(call.extra).http ? "tcp" : undefined);
  const version = protocolVersion ?? readRequestHeader(call.extra, "mcp-protocol-version");
  if (transport === undefined && version === undefined) return identity;
  return {
    ...identity,
    ...(version !== undefined ? { "mcp.protocol.version": version } : {}),
    ...(transport !== undefined ? { "network.transport": transport } : {}),
  };
}

/** The span's attributes: the shared ones plus one request's identity, too many values for a metric. */
function spanAttributes(shared: Attributes, call: ToolCall, method: McpServerMethod): Attributes {
  const attributes: Attributes = { ...shared };
  const { requestId, sessionId } = readCallContext(call.extra);
  if (requestId !== undefined) attributes["jsonrpc.request.id"] = String(requestId);
  if (sessionId !== undefined) attributes["mcp.session.id"] = sessionId;
  if (method === "resources/read") {
    const uri = call.args;
    if (uri instanceof URL) attributes["mcp.resource.uri"] = uri.href;
    else if (typeof uri === "string") attributes["mcp.resource.uri"] = uri;
  }
  return attributes;
}
