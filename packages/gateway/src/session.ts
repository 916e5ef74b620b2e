import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  type CallToolResult,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  ResourceUpdatedNotificationSchema,
  type Result,
  ResultSchema,
  type ServerCapabilities,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import type { Caller } from "./auth.ts";
import { type Backend, isBackendFailure, isSessionLost } from "./backend.ts";
import { directRequest } from "./direct-call.ts";
import { forwardedError, relayContext } from "./forward.ts";
import { exposedUri, type Route, type Routes } from "./routes.ts";
import { registerSessionHandlers } from "./session-handlers.ts";
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
    registerSessionHandlers(this, host, capabilities);
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
