import { meterSource, tracerSource } from "@mcp-prod/internal";
import { traceClientCall, tracePrompt, traceResource } from "@mcp-prod/telemetry";
import type { Backend } from "./backend.ts";

const SCOPE = "@mcp-prod/gateway";
const tracer = tracerSource(SCOPE);
const meter = meterSource(SCOPE, undefined, () => true);

/**
 * Whether an OpenTelemetry SDK is registered (spans or metrics). Checked
 * before any option is validated or `_meta` copied, so that a gateway without
 * one pays a few property reads per request.
 */
function observed(): boolean {
  return tracer() !== undefined || meter() === true;
}

/** The requests that get a SERVER span at the gateway, so their CLIENT span has a parent. */
const TRACED_METHODS: ReadonlySet<string> = new Set([
  "tools/call",
  "prompts/get",
  "resources/read",
]);

type Endpoint = { readonly serverAddress: string; readonly serverPort: number };
const endpoints = new WeakMap<Backend, Endpoint>();

/** `server.address` and `server.port` of a backend, read once from its URL. */
function endpointOf(backend: Backend): Endpoint {
  let endpoint = endpoints.get(backend);
  if (!endpoint) {
    const url = new URL(backend.url);
    endpoint = {
      serverAddress: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      serverPort: Number(url.port) || (url.protocol === "https:" ? 443 : 80),
    };
    endpoints.set(backend, endpoint);
  }
  return endpoint;
}

/**
 * Sends one request to `backend` in a CLIENT span `<method> <name>`, child of
 * the gateway's SERVER span, with `mcp.client.operation.duration`; `send` gets
 * `params` with that span's trace context in a copy of `_meta` (the client's
 * other keys kept). Other methods, or no registered SDK: `params` as they came.
 */
export function traceForward<Result>(
  backend: Backend,
  method: string,
  params: Record<string, unknown> | undefined,
  sessionId: string | undefined,
  send: (params: Record<string, unknown> | undefined) => Promise<Result>,
): Promise<Result> {
  if (!TRACED_METHODS.has(method) || !observed()) return send(params);
  const meta = params?._meta as Record<string, unknown> | undefined;
  const name = params?.name;
  return traceClientCall(
    {
      method,
      target: method !== "resources/read" && typeof name === "string" ? name : undefined,
      ...endpointOf(backend),
      sessionId,
      meta,
    },
    (forwarded) => send(forwarded === meta ? params : { ...params, _meta: forwarded }),
  );
}

type Forward = () => Promise<unknown>;
/** The step each traced request runs, by its call context, for the traced handler to find. */
const steps = new WeakMap<object, Forward>();
const runStep = (_target: unknown, ctx: object): Promise<unknown> => (steps.get(ctx) as Forward)();

/**
 * SERVER spans of the prompts and resource reads the gateway answers, through
 * telemetry's `tracePrompt` and `traceResource` (a tool call's comes from
 * `telemetry.wrap`): the client's `_meta` trace context as parent, the
 * request id, session id and transport as attributes, read from the call
 * context as from an SDK handler's `extra`.
 */
export class ServerTracing {
  readonly #prompts = new Map<string, typeof runStep>();
  readonly #resources = traceResource("resources", runStep);

  /** Runs `forward` in a SERVER span `prompts/get <name>` (the name the client used). */
  prompt(name: string, ctx: object, forward: Forward): Promise<unknown> {
    if (!observed()) return forward();
    let traced = this.#prompts.get(name);
    if (!traced) {
      traced = tracePrompt(name, runStep);
      this.#prompts.set(name, traced);
    }
    steps.set(ctx, forward);
    return traced(undefined, ctx);
  }

  /** Runs `forward` in a SERVER span `resources/read`, `mcp.resource.uri` the URI the client used. */
  resource(uri: string, ctx: object, forward: Forward): Promise<unknown> {
    if (!observed()) return forward();
    steps.set(ctx, forward);
    return this.#resources(uri, ctx);
  }

  /** Forgets the prompts no longer offered, so the cache stays as large as the catalog. */
  retain(prompts: ReadonlyMap<string, unknown>): void {
    for (const name of this.#prompts.keys()) if (!prompts.has(name)) this.#prompts.delete(name);
  }
}
