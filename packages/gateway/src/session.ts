import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  CompleteRequestSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListRootsRequestSchema,
  ListToolsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  ReadResourceRequestSchema,
  ResourceUpdatedNotificationSchema,
  type Result,
  ResultSchema,
  type ServerCapabilities,
  type ServerNotification,
  type ServerRequest,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { Caller } from "./auth.ts";
import { type Backend, isBackendFailure, isSessionLost } from "./backend.ts";
import { directRequest } from "./direct-call.ts";
import { forwardedError, relayContext } from "./forward.ts";
import { exposedUri, type Route, type Routes } from "./routes.ts";
import { type ServerTracing, traceForward } from "./tracing.ts";

/** A request handler's `extra` on the client-facing side. */
export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** What a session asks of its gateway. */
export type SessionHost = {
  readonly backends: readonly Backend[];
  routes(): Routes;
  capabilities(): ServerCapabilities;
  instructions(): string | undefined;
  /** Whether `caller` may use `name` of `backend`. */
  allowed(caller: Caller | undefined, name: string, backend: Backend): boolean;
  /** Runs a tool call (rate limit, breaker, telemetry around `forward`). */
  callTool(
    session: Session,
    route: Route<unknown>,
    exposed: string,
    params: Record<string, unknown>,
    extra: Extra,
  ): Promise<CallToolResult>;
  /** Runs any other backend request under the backend's breaker. */
  guard<T>(
    backend: Backend,
    signal: AbortSignal,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T>;
  timeoutMs(backend: Backend): number;
  /** SERVER spans of prompts and resource reads. */
  readonly tracing: ServerTracing;
};

const LIST_NOTIFICATIONS = {
  tools: "notifications/tools/list_changed",
  prompts: "notifications/prompts/list_changed",
  resources: "notifications/resources/list_changed",
} as const;

/**
 * One client session: the client-facing MCP server and, per backend, a
 * connection of its own (its own backend session, declaring this client's
 * capabilities and carrying its identity), opened on first use.
 */
export class Session {
  readonly server: Server;
  readonly caller: Caller | undefined;
  /** The rate-limit key of this session's caller (its identity, or its address when anonymous). */
  readonly limitKey: string;
  readonly #host: SessionHost;
  readonly #clients = new Map<Backend, Promise<Client>>();
  #closed = false;

  constructor(host: SessionHost, caller: Caller | undefined, limitKey: string) {
    this.#host = host;
    this.caller = caller;
    this.limitKey = limitKey;
    const capabilities = host.capabilities();
    const instructions = host.instructions();
    this.server = new Server(
      { name: "mcp-prod-gateway", version: "0.0.0" },
      { capabilities, ...(instructions ? { instructions } : {}) },
    );
    this.#register(capabilities);
  }

  /** Tells the client a list changed (after a backend's list was re-read). */
  notifyListChanged(kind: keyof typeof LIST_NOTIFICATIONS): void {
    if (this.#closed) return;
    void this.server.notification({ method: LIST_NOTIFICATIONS[kind] }).catch(() => {});
  }

  /**
   * Forwards one request to `backend` over this session's connection. The
   * request's `_meta` passes unchanged except the progress token, remapped so
   * progress reaches the right client request, and, under a registered
   * OpenTelemetry SDK, the trace context of the call's CLIENT span.
   * A backend session the backend no longer knows is opened anew, once.
   */
  async forward(
    backend: Backend,
    method: string,
    params: Record<string, unknown> | undefined,
    extra: Extra,
    signal: AbortSignal = extra.signal,
  ): Promise<Result> {
    const progressToken = extra._meta?.progressToken;
    const capabilities = this.server.getClientCapabilities() ?? {};
    if (
      !backend.stateful &&
      backend.state === "up" &&
      !capabilities.sampling &&
      !capabilities.elicitation &&
      !capabilities.roots
    ) {
      return (await traceForward(backend, method, params, undefined, (forwarded) =>
        this.#direct(backend, method, forwarded ?? {}, extra, signal, progressToken),
      )) as Result;
    }
    const sessionOf = (client: Client) =>
      (client.transport as { sessionId?: string | undefined } | undefined)?.sessionId;
    const send = async (client: Client) =>
      traceForward(backend, method, params, sessionOf(client), (forwarded) =>
        relayContext.run({ server: this.server, requestId: extra.requestId }, () =>
          client.request({ method, ...(forwarded ? { params: forwarded } : {}) }, ResultSchema, {
            signal,
            timeout: this.#host.timeoutMs(backend),
            resetTimeoutOnProgress: true,
            // Always asked for, so progress resets the timeout; relayed only when the client asked.
            onprogress: (progress) => {
              if (progressToken === undefined) return;
              void extra
                .sendNotification({
                  method: "notifications/progress",
                  params: { ...progress, progressToken },
                })
                .catch(() => {});
            },
          }),
        ),
      );
    try {
      try {
        return await send(await this.#client(backend));
      } catch (error) {
        if (!isSessionLost(error)) throw error;
        this.#clients.delete(backend);
        return await send(await this.#client(backend));
      }
    } catch (error) {
      // The backend's own errors go to the client as they came; a local timeout stays a failure.
      if (error instanceof McpError && !signal.aborted && !isBackendFailure(error))
        throw forwardedError(error);
      throw error;
    }
  }

  /** {@link directRequest} with this session's relays: progress back under the client's own token. */
  #direct(
    backend: Backend,
    method: string,
    params: Record<string, unknown>,
    extra: Extra,
    signal: AbortSignal,
    progressToken: string | number | undefined,
  ): Promise<unknown> {
    const ownToken = `gw-progress-${String(extra.requestId)}`;
    const meta = (params._meta as Record<string, unknown> | undefined) ?? {};
    return directRequest({
      url: backend.url,
      method,
      // Always asked for, so progress resets the timeout; relayed only when the client asked.
      params: { ...params, _meta: { ...meta, progressToken: ownToken } },
      auth: this.caller,
      signal,
      timeoutMs: this.#host.timeoutMs(backend),
      onNotification: (notification) => {
        if (notification.method === "notifications/progress") {
          if (progressToken === undefined) return;
          void extra
            .sendNotification({
              ...notification,
              params: { ...notification.params, progressToken },
            })
            .catch(() => {});
        } else if (notification.method === "notifications/resources/updated") {
          void extra
            .sendNotification({
              ...notification,
              params: { ...notification.params, uri: exposedUri(backend, notification.params.uri) },
            })
            .catch(() => {});
        } else if (notification.method.endsWith("/list_changed")) {
          void backend.refresh();
        } else {
          void extra.sendNotification(notification).catch(() => {});
        }
      },
    });
  }

  #client(backend: Backend): Promise<Client> {
    const capabilities = this.server.getClientCapabilities();
    if (!backend.stateful) {
      // Nothing per client lives in a backend without sessions: share one connection per caller.
      return backend.shared(`${this.limitKey}|${JSON.stringify(capabilities ?? {})}`, {
        auth: this.caller,
        capabilities,
        setup: (client) => this.#relay(client, backend, true),
      });
    }
    let pending = this.#clients.get(backend);
    if (!pending) {
      pending = backend.connect({
        auth: this.caller,
        capabilities,
        setup: (client) => this.#relay(client, backend, false),
      });
      this.#clients.set(backend, pending);
      pending.catch(() => {
        if (this.#clients.get(backend) === pending) this.#clients.delete(backend);
      });
    }
    return pending;
  }

  /**
   * Requests and notifications from `backend` to the client whose request they
   * came with (or, on a connection of this session's own, to this session).
   */
  #relay(client: Client, backend: Backend, shared: boolean): void {
    const target = () => {
      const context = relayContext.getStore();
      return { context, server: context?.server ?? (shared ? undefined : this.server) };
    };
    const capabilities = this.server.getClientCapabilities() ?? {};
    const relayRequest = async (
      request: { method: string; params?: unknown },
      extra: { signal: AbortSignal },
    ) => {
      const { context, server } = target();
      if (!server)
        throw new McpError(ErrorCode.InvalidRequest, "No client request to relay this to");
      try {
        return await server.request(request as never, ResultSchema, {
          signal: extra.signal,
          ...(context ? { relatedRequestId: context.requestId } : {}),
        });
      } catch (error) {
        throw error instanceof McpError ? forwardedError(error) : error;
      }
    };
    if (capabilities.sampling)
      client.setRequestHandler(CreateMessageRequestSchema, relayRequest as never);
    if (capabilities.elicitation)
      client.setRequestHandler(ElicitRequestSchema, relayRequest as never);
    if (capabilities.roots) client.setRequestHandler(ListRootsRequestSchema, relayRequest as never);
    const notify = (notification: ServerNotification) => {
      const { context, server } = target();
      void server
        ?.notification(notification, context ? { relatedRequestId: context.requestId } : {})
        .catch(() => {});
    };
    client.setNotificationHandler(LoggingMessageNotificationSchema, async (notification) => {
      notify(notification);
    });
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (notification) => {
      notify({
        ...notification,
        params: { ...notification.params, uri: exposedUri(backend, notification.params.uri) },
      });
    });
    client.fallbackNotificationHandler = async (notification) => {
      if (notification.method.endsWith("/list_changed")) void backend.refresh();
    };
  }

  #register(capabilities: ServerCapabilities): void {
    const server = this.server;
    const host = this.#host;
    const visible = <T>(map: Map<string, Route<T>>) =>
      [...map].filter(([name, route]) => host.allowed(this.caller, name, route.backend));
    const noCursor = (params: { cursor?: unknown } | undefined) => {
      // Lists are merged whole, so the gateway never hands out a cursor.
      if (params?.cursor !== undefined)
        throw new McpError(ErrorCode.InvalidParams, "Unknown cursor");
    };
    const guarded = (
      backend: Backend,
      method: string,
      params: Record<string, unknown>,
      extra: Extra,
    ) =>
      host.guard(backend, extra.signal, (signal) =>
        this.forward(backend, method, params, extra, signal),
      );

    server.setRequestHandler(ListToolsRequestSchema, async (request) => {
      noCursor(request.params);
      return {
        tools: visible(host.routes().tools).map(([name, route]) => ({ ...route.item, name })),
      };
    });
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const name = request.params.name;
      const route = host.routes().tools.get(name);
      if (!route || !host.allowed(this.caller, name, route.backend))
        throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
      return host.callTool(this, route, name, { ...request.params, name: route.name }, extra);
    });

    if (capabilities.prompts) {
      server.setRequestHandler(ListPromptsRequestSchema, async (request) => {
        noCursor(request.params);
        return {
          prompts: visible(host.routes().prompts).map(([name, route]) => ({ ...route.item, name })),
        };
      });
      server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
        const route = host.routes().prompts.get(request.params.name);
        if (!route || !host.allowed(this.caller, request.params.name, route.backend))
          throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${request.params.name}`);
        return (await host.tracing.prompt(request.params.name, extra, () =>
          guarded(route.backend, "prompts/get", { ...request.params, name: route.name }, extra),
        )) as never;
      });
    }

    if (capabilities.resources) {
      const owner = (uri: string) => {
        const found = host.routes().resource(uri);
        if (!found || !host.allowed(this.caller, uri, found.backend))
          throw new McpError(ErrorCode.InvalidParams, `Unknown resource: ${uri}`, { uri });
        return found;
      };
      server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
        noCursor(request.params);
        return {
          resources: visible(host.routes().resources).map(([uri, route]) => ({
            ...route.item,
            uri,
          })),
        };
      });
      server.setRequestHandler(ListResourceTemplatesRequestSchema, async (request) => {
        noCursor(request.params);
        return {
          resourceTemplates: visible(host.routes().templates).map(([uriTemplate, route]) => ({
            ...route.item,
            uriTemplate,
          })),
        };
      });
      server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
        const { backend, uri } = owner(request.params.uri);
        const result = (await host.tracing.resource(request.params.uri, extra, () =>
          guarded(backend, "resources/read", { ...request.params, uri }, extra),
        )) as {
          contents?: Array<{ uri: string }>;
        };
        return {
          ...result,
          contents: (result.contents ?? []).map((content) => ({
            ...content,
            uri: exposedUri(backend, content.uri),
          })),
        } as never;
      });
      if (capabilities.resources.subscribe) {
        for (const [schema, method] of [
          [SubscribeRequestSchema, "resources/subscribe"],
          [UnsubscribeRequestSchema, "resources/unsubscribe"],
        ] as const) {
          server.setRequestHandler(schema, async (request, extra) => {
            const { backend, uri } = owner(request.params.uri);
            return (await guarded(backend, method, { ...request.params, uri }, extra)) as never;
          });
        }
      }
    }

    if (capabilities.completions) {
      server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
        const ref = request.params.ref;
        const routes = host.routes();
        const route =
          ref.type === "ref/prompt"
            ? routes.prompts.get(ref.name)
            : routes.templates.get((ref as { uri: string }).uri);
        const label = ref.type === "ref/prompt" ? ref.name : (ref as { uri: string }).uri;
        if (!route || !host.allowed(this.caller, label, route.backend))
          throw new McpError(ErrorCode.InvalidParams, `Unknown completion reference: ${label}`);
        const backendRef =
          ref.type === "ref/prompt" ? { ...ref, name: route.name } : { ...ref, uri: route.name };
        return (await guarded(
          route.backend,
          "completion/complete",
          { ...request.params, ref: backendRef },
          extra,
        )) as never;
      });
    }

    if (capabilities.logging) {
      server.setRequestHandler(SetLevelRequestSchema, async (request, extra) => {
        // The level applies to this client's sessions with every backend that logs.
        const targets = host.backends.filter(
          (backend) => backend.capabilities?.logging && backend.state === "up",
        );
        const outcomes = await Promise.allSettled(
          targets.map((backend) =>
            guarded(backend, "logging/setLevel", { ...request.params }, extra),
          ),
        );
        const failed = outcomes.find((outcome) => outcome.status === "rejected");
        if (failed && outcomes.every((outcome) => outcome.status === "rejected"))
          throw failed.reason;
        return {};
      });
    }
  }

  /** Closes this session's backend sessions (each is ended with DELETE when the backend has one). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.allSettled(
      clients.map(async (pending) => {
        const client = await pending;
        const transport = client.transport as
          | { terminateSession?: () => Promise<void> }
          | undefined;
        await transport?.terminateSession?.().catch(() => {});
        await client.close();
      }),
    );
    await this.server.close().catch(() => {});
  }
}
