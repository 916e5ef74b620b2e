import { BreakerOpenError } from "@mcp-prod/breaker";
import type { Caller } from "./auth.ts";
import type { Backend } from "./backend.ts";
import { type CallContext, CallStopped } from "./call-context.ts";
import { exposedUri, type Route, type Routes } from "./catalog.ts";
import type { GatewayCore } from "./core.ts";
import { BackendError } from "./errors.ts";
import { forward, RelayedError } from "./forward.ts";
import { ERROR, errorText, type Params, RpcError, resultText } from "./json-rpc.ts";
import { ShareExceededError } from "./limits.ts";
import type { ToolCalls } from "./tool-call.ts";

/** A JSON result already serialised, as the answer to `id`. */
const rawResult = (id: CallContext["id"], json: string): string =>
  `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${json}}`;

/**
 * Answers every request a client sends (but `initialize`, which opens the
 * session): `ping` and the lists here, from the catalog and the caller's
 * current scopes; everything else forwarded to the backend that owns the
 * name, URI or reference. Resolves with the answer's text, or undefined when
 * the call was cancelled (a cancelled request gets no answer).
 */
export class Dispatcher {
  readonly #core: GatewayCore;
  readonly #tools: ToolCalls;
  /** The lists as a caller with these scopes sees them, serialised once per catalog. */
  #lists = new Map<string, string>();

  constructor(core: GatewayCore, tools: ToolCalls) {
    this.#core = core;
    this.#tools = tools;
  }

  /** The catalog changed: lists are serialised again. */
  invalidate(): void {
    this.#lists = new Map();
  }

  async answer(ctx: CallContext): Promise<string | undefined> {
    try {
      return await this.#answer(ctx);
    } catch (error) {
      return this.#error(ctx, error);
    } finally {
      ctx.disarm();
    }
  }

  #error(ctx: CallContext, error: unknown): string | undefined {
    const reason = ctx.signal.aborted ? ctx.signal.reason : undefined;
    if (reason instanceof CallStopped) return undefined;
    const cause = reason ?? error;
    if (cause instanceof RelayedError) return cause.answerText(ctx.id);
    if (cause instanceof RpcError) return errorText(ctx.id, cause.code, cause.message, cause.data);
    if (BreakerOpenError.isInstance(cause))
      return errorText(ctx.id, ERROR.internal, "Service temporarily unavailable", {
        retryAfterMs: cause.retryAfterMs,
      });
    if (cause instanceof ShareExceededError)
      return errorText(ctx.id, ERROR.internal, cause.message);
    if (BackendError.isInstance(cause))
      return errorText(
        ctx.id,
        cause.code === "EBACKENDTIMEOUT" ? ERROR.requestTimeout : ERROR.internal,
        cause.message,
      );
    this.#core.logger?.warn(
      { event: "request_failed", err: cause, method: ctx.method },
      "request failed",
    );
    return errorText(ctx.id, ERROR.internal, "Internal error");
  }

  async #answer(ctx: CallContext): Promise<string | undefined> {
    const core = this.#core;
    const routes = core.catalog();
    const params = ctx.params ?? {};
    switch (ctx.method) {
      case "ping":
        return resultText(ctx.id, {});
      case "tools/call":
        return this.#tools.call(ctx, ctx.limit ?? Promise.resolve(undefined));
      case "tools/list":
        return this.#list(ctx, "tools", () =>
          visible(core, ctx.caller, routes.tools).map(([name, route]) => ({ ...route.item, name })),
        );
      case "prompts/list":
        return this.#list(ctx, "prompts", () =>
          visible(core, ctx.caller, routes.prompts).map(([name, route]) => ({
            ...route.item,
            name,
          })),
        );
      case "resources/list":
        return this.#list(ctx, "resources", () =>
          visible(core, ctx.caller, routes.resources).map(([uri, route]) => ({
            ...route.item,
            uri,
          })),
        );
      case "resources/templates/list":
        return this.#list(ctx, "resourceTemplates", () =>
          visible(core, ctx.caller, routes.templates).map(([uriTemplate, route]) => ({
            ...route.item,
            uriTemplate,
          })),
        );
      case "prompts/get": {
        const name = params.name;
        const route = typeof name === "string" ? routes.prompts.get(name) : undefined;
        if (!route || !allowed(core, ctx.caller, name as string, route.backend))
          throw new RpcError(ERROR.invalidParams, `Unknown prompt: ${String(name)}`);
        const answer = (await core.tracing.prompt(name as string, ctx, () =>
          this.#forward(ctx, route.backend, { ...params, name: route.name }),
        )) as string;
        return answer;
      }
      case "resources/read": {
        const { backend, uri } = owner(core, ctx, routes, params.uri);
        return (await core.tracing.resource(params.uri as string, ctx, async () => {
          const text = await this.#forward(ctx, backend, { ...params, uri });
          return backend.prefix === undefined ? text : exposeContents(backend, text);
        })) as string;
      }
      case "resources/subscribe":
      case "resources/unsubscribe": {
        const { backend, uri } = owner(core, ctx, routes, params.uri);
        const text = await this.#forward(ctx, backend, { ...params, uri });
        if (ctx.session && backend.stateful) {
          const key = ctx.method === "resources/subscribe" ? "subscribe" : "unsubscribe";
          await core.sessions.update(ctx.session, { [key]: params.uri as string });
        }
        return text;
      }
      case "completion/complete":
        return this.#complete(ctx, routes, params);
      case "logging/setLevel":
        return this.#setLevel(ctx, params);
      default:
        throw new RpcError(ERROR.methodNotFound, `Method not found: ${ctx.method}`);
    }
  }

  /** Forwards and returns the backend's answer as it came (its JSON-RPC error rejects). */
  async #forward(ctx: CallContext, backend: Backend, params: Params): Promise<string> {
    return (await forward(this.#core, ctx, backend, ctx.method, params)).text;
  }

  #list(ctx: CallContext, key: string, build: () => unknown[]): string {
    if (ctx.params?.cursor !== undefined) throw new RpcError(ERROR.invalidParams, "Unknown cursor");
    // Lists are merged whole, so the gateway never hands out a cursor.
    const scopes = ctx.caller ? ctx.caller.scopes.join(" ") : "*";
    const cacheKey = `${key}\n${scopes}`;
    let json = this.#lists.get(cacheKey);
    if (json === undefined) {
      json = JSON.stringify({ [key]: build() });
      if (this.#lists.size >= 1000) this.#lists.clear();
      this.#lists.set(cacheKey, json);
    }
    return rawResult(ctx.id, json);
  }

  async #complete(ctx: CallContext, routes: Routes, params: Params): Promise<string> {
    const ref = params.ref as { type?: unknown; name?: unknown; uri?: unknown } | undefined;
    const label = ref?.type === "ref/prompt" ? ref.name : ref?.uri;
    const route =
      ref?.type === "ref/prompt"
        ? routes.prompts.get(String(ref.name))
        : routes.templates.get(String(ref?.uri));
    if (
      !route ||
      typeof label !== "string" ||
      !allowed(this.#core, ctx.caller, label, route.backend)
    )
      throw new RpcError(ERROR.invalidParams, `Unknown completion reference: ${String(label)}`);
    const backendRef =
      ref?.type === "ref/prompt" ? { ...ref, name: route.name } : { ...ref, uri: route.name };
    return this.#forward(ctx, route.backend, { ...params, ref: backendRef });
  }

  /** The level applies to the client's sessions with every backend it may reach that logs. */
  async #setLevel(ctx: CallContext, params: Params): Promise<string> {
    const core = this.#core;
    const routes = core.catalog();
    const targets = core.backends.filter(
      (backend) =>
        backend.capabilities?.logging &&
        backend.state === "up" &&
        (!ctx.caller || routes.reaches(ctx.caller.scopes, backend)),
    );
    const outcomes = await Promise.allSettled(
      targets.map((backend) => this.#forward(ctx, backend, params)),
    );
    const failed = outcomes.find((outcome) => outcome.status === "rejected");
    if (failed && outcomes.every((outcome) => outcome.status === "rejected")) throw failed.reason;
    if (ctx.session && typeof params.level === "string")
      await core.sessions.update(ctx.session, { logLevel: params.level });
    return resultText(ctx.id, {});
  }
}

/** Whether `caller` may use `name` of `backend` (anyone may without authentication). */
export function allowed(
  core: GatewayCore,
  caller: Caller | undefined,
  name: string,
  backend: Backend,
): boolean {
  return !caller || core.authenticator.scopeFailure(caller, name, backend.prefix) === undefined;
}

function visible<T>(
  core: GatewayCore,
  caller: Caller | undefined,
  map: ReadonlyMap<string, Route<T>>,
): Array<[string, Route<T>]> {
  return [...map].filter(([name, route]) => allowed(core, caller, name, route.backend));
}

function owner(
  core: GatewayCore,
  ctx: CallContext,
  routes: Routes,
  uri: unknown,
): { backend: Backend; uri: string } {
  const found = typeof uri === "string" ? routes.resource(uri) : undefined;
  if (!found || !allowed(core, ctx.caller, uri as string, found.backend))
    throw new RpcError(ERROR.invalidParams, `Unknown resource: ${String(uri)}`, { uri });
  return found;
}

/** A prefixed backend's resource contents, their URIs exposed under its prefix. */
function exposeContents(backend: Backend, text: string): string {
  const message = JSON.parse(text) as { result?: { contents?: Array<{ uri?: unknown }> } };
  for (const content of message.result?.contents ?? []) {
    if (typeof content.uri === "string") content.uri = exposedUri(backend, content.uri);
  }
  return JSON.stringify(message);
}
