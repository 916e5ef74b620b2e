import type { IncomingMessage, ServerResponse } from "node:http";
import { anonymousCaller, type Caller, isAuthFailure } from "./auth.ts";
import { CallContext, CallStopped } from "./call-context.ts";
import { ClientStream, Exchange, parseEventId } from "./client-streams.ts";
import type { GatewayCore } from "./core.ts";
import type { Dispatcher } from "./dispatch.ts";
import {
  accepts,
  BodyError,
  type ClientAddresses,
  readJson,
  sendAuthFailure,
  sendError,
  sendLimited,
} from "./guards.ts";
import { openSession } from "./initialize.ts";
import {
  classify,
  ERROR,
  errorText,
  type Incoming,
  primes,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "./json-rpc.ts";
import { decide } from "./limits.ts";
import { parseRelayId } from "./relay.ts";
import { resumeCallStream } from "./resume.ts";
import type { LocalSession } from "./sessions.ts";
import type { ToolCalls } from "./tool-call.ts";

type Request = Extract<Incoming, { kind: "request" }>;

/**
 * The MCP endpoint (`/mcp`, Streamable HTTP): POST carries messages, GET
 * opens (or resumes) a session's stream, DELETE ends a session. Every
 * request is authenticated, counted against its identity's budget (a batch
 * costs what its messages cost) and bound to its session, whichever replica
 * created it.
 */
export class McpEndpoint {
  readonly #core: GatewayCore;
  readonly #dispatcher: Dispatcher;
  readonly #tools: ToolCalls;
  readonly #addresses: ClientAddresses;
  /** Calls of clients without a session, by identity and id, for their cancellations. */
  readonly #stateless = new Map<string, CallContext>();
  /** Exchanges still waiting, for the housekeeping tick (slow ones stream, streams get keep-alives). */
  readonly exchanges = new Set<Exchange>();
  #streams = 0;

  constructor(
    core: GatewayCore,
    dispatcher: Dispatcher,
    tools: ToolCalls,
    addresses: ClientAddresses,
  ) {
    this.#core = core;
    this.#dispatcher = dispatcher;
    this.#tools = tools;
    this.#addresses = addresses;
  }

  /** A new stream id: this replica's id and a counter (`g` for GET streams). */
  #streamId(get: boolean): string {
    this.#streams += 1;
    return `${this.#core.bus.replica}.${get ? "g" : ""}${this.#streams.toString(36)}`;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const core = this.#core;
    const method = req.method ?? "GET";
    if (method !== "POST" && method !== "GET" && method !== "DELETE") {
      return sendError(res, 405, ERROR.connectionClosed, "Method not allowed", {
        allow: "GET, POST, DELETE",
      });
    }
    const caller = await this.#authenticate(req, res);
    if (caller === false) return;
    const identity = caller?.identity ?? anonymousCaller(this.#addresses.of(req)).identity;
    const version = req.headers["mcp-protocol-version"];
    if (typeof version === "string" && !SUPPORTED_PROTOCOL_VERSIONS.includes(version))
      return sendError(
        res,
        400,
        ERROR.connectionClosed,
        `Unsupported protocol version: ${version}`,
      );
    if (method === "POST") return this.#post(req, res, caller, identity);

    // GET and DELETE: one point each, and a session.
    const refused = await decide(core.limiters.requests, identity);
    if (refused) return sendLimited(res, refused);
    const session = await this.#session(req, res, identity);
    if (session === false) return;
    if (!session)
      return sendError(
        res,
        400,
        ERROR.connectionClosed,
        "Bad Request: Mcp-Session-Id header is required",
      );
    if (method === "DELETE") {
      try {
        await core.sessions.end(session);
      } catch {
        return sendError(res, 503, ERROR.connectionClosed, "Session store unavailable", {
          "retry-after": "1",
        });
      }
      res.writeHead(200).end();
      return;
    }
    if (!accepts(req, "text/event-stream"))
      return sendError(
        res,
        406,
        ERROR.connectionClosed,
        "Not Acceptable: Client must accept text/event-stream",
      );
    return this.#get(req, res, caller, session);
  }

  /** The caller, undefined without authentication configured, or false once refused. */
  async #authenticate(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<Caller | undefined | false> {
    const core = this.#core;
    if (!core.authenticator.enabled) return undefined;
    const result = await core.authenticator.authenticate(req);
    if (!isAuthFailure(result)) return result;
    // Every failure costs the address a point; over the limit it is told to wait (429).
    const limited = await decide(core.limiters.authFailures, this.#addresses.of(req));
    if (limited) {
      sendLimited(res, limited);
      return false;
    }
    core.logger?.warn(
      { event: "auth_refused", status: result.status, reason: result.message },
      "request refused",
    );
    sendAuthFailure(res, result);
    return false;
  }

  /** The session the request names: undefined when it names none, false once answered 404/503. */
  async #session(
    req: IncomingMessage,
    res: ServerResponse,
    identity: string,
  ): Promise<LocalSession | undefined | false> {
    const id = req.headers["mcp-session-id"];
    if (typeof id !== "string") return undefined;
    const session = await this.#core.sessions.resolve(id, identity);
    if (session === "notFound") {
      sendError(res, 404, ERROR.requestTimeout, "Session not found");
      return false;
    }
    if (session === "unavailable") {
      sendError(res, 503, ERROR.connectionClosed, "Session store unavailable", {
        "retry-after": "1",
      });
      return false;
    }
    return session;
  }

  async #post(
    req: IncomingMessage,
    res: ServerResponse,
    caller: Caller | undefined,
    identity: string,
  ): Promise<void> {
    const core = this.#core;
    if (!(req.headers["content-type"] ?? "").includes("application/json"))
      return sendError(
        res,
        415,
        ERROR.connectionClosed,
        "Unsupported Media Type: Content-Type must be application/json",
      );
    if (!accepts(req, "application/json") || !accepts(req, "text/event-stream"))
      return sendError(
        res,
        406,
        ERROR.connectionClosed,
        "Not Acceptable: Client must accept both application/json and text/event-stream",
      );
    let body: unknown;
    try {
      body = await readJson(req, core.settings.maxBodyBytes);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      return sendError(res, error.status, ERROR.parse, error.message);
    }
    const batch = Array.isArray(body);
    const messages = (batch ? (body as unknown[]) : [body]).map(classify);
    if (messages.length === 0)
      return sendError(res, 400, ERROR.invalidRequest, "Invalid Request: empty batch");

    // A tool call outside the caller's scopes is refused before anything is spent.
    if (caller) {
      for (const message of messages) {
        if (message.kind !== "request" || message.method !== "tools/call") continue;
        const name = message.params?.name;
        const route = typeof name === "string" ? core.catalog().tools.get(name) : undefined;
        const failure =
          route && core.authenticator.scopeFailure(caller, name as string, route.backend.prefix);
        if (failure) {
          core.logger?.warn(
            { event: "auth_refused", status: 403, clientId: caller.clientId, tool: name },
            "missing scope",
          );
          return sendAuthFailure(res, failure);
        }
      }
    }

    // Every message costs a point; a tool call's own limit is decided in the same tick (one round trip).
    const requestDecision = decide(core.limiters.requests, identity, messages.length);
    const toolDecisions = new Map<Request, ReturnType<typeof decide>>();
    for (const message of messages) {
      if (message.kind !== "request" || message.method !== "tools/call") continue;
      const name = message.params?.name;
      if (typeof name !== "string" || !core.catalog().tools.has(name)) continue;
      toolDecisions.set(message, decide(core.limiters.tools, `${name}:${identity}`));
    }
    const refused = await requestDecision;
    if (refused) {
      for (const pending of toolDecisions.values()) pending.catch(() => {});
      return sendLimited(res, refused);
    }

    const initialize = messages.find(
      (message) => message.kind === "request" && message.method === "initialize",
    );
    if (initialize) {
      if (messages.length > 1)
        return sendError(
          res,
          400,
          ERROR.invalidRequest,
          "Invalid Request: initialize must be sent alone",
        );
      if (typeof req.headers["mcp-session-id"] === "string")
        return sendError(
          res,
          400,
          ERROR.invalidRequest,
          "Invalid Request: Server already initialized",
        );
      return openSession(core, res, initialize as Request, caller, identity);
    }
    const session = await this.#session(req, res, identity);
    if (session === false) return;

    const requests: Request[] = [];
    for (const message of messages) {
      if (message.kind === "request") requests.push(message);
      else if (message.kind === "notification")
        this.#notification(message, session, caller, identity);
      else if (message.kind === "response") this.#answerBackend(message, session, caller);
    }
    const invalid = messages.filter((message) => message.kind === "invalid");
    if (requests.length === 0 && invalid.length === 0) {
      res.writeHead(202).end();
      return;
    }
    const protocolVersion =
      session?.record.protocolVersion ??
      (typeof req.headers["mcp-protocol-version"] === "string"
        ? req.headers["mcp-protocol-version"]
        : "2025-03-26");
    const headers: Record<string, string> = session ? { "mcp-session-id": session.id } : {};
    const exchange = new Exchange(res, {
      headers,
      batch,
      startedAt: core.clock.now(),
      log: session
        ? {
            events: core.events,
            session: session.key,
            stream: this.#streamId(false),
            primes: primes(protocolVersion),
            retryMs: core.settings.retryMs,
          }
        : undefined,
    });
    for (const message of invalid)
      if (message.kind === "invalid")
        exchange.add(errorText(message.id, ERROR.invalidRequest, "Invalid Request"));
    if (requests.length === 0) return exchange.finish();
    this.exchanges.add(exchange);
    const contexts = requests.map((message) => {
      exchange.expect(message.id);
      const ctx = new CallContext({
        id: message.id,
        method: message.method,
        params: message.params,
        caller,
        identity,
        session,
        exchange,
        capabilities: session?.record.capabilities ?? {},
        protocolVersion,
        headers: req.headers,
        clock: core.clock,
      });
      ctx.limit = toolDecisions.get(message);
      return ctx;
    });
    exchange.onGone(() => {
      for (const ctx of contexts) ctx.abort(new CallStopped("gone", "The client went away"));
    });
    await Promise.all(contexts.map((ctx) => this.#run(ctx)));
    this.exchanges.delete(exchange);
  }

  async #run(ctx: CallContext): Promise<void> {
    const key = JSON.stringify(ctx.id);
    const registry = ctx.session ? ctx.session.calls : this.#stateless;
    const registryKey = ctx.session ? key : `${ctx.identity}|${key}`;
    registry.set(registryKey, ctx);
    try {
      const text = await this.#dispatcher.answer(ctx);
      if (text === undefined) ctx.exchange.drop(ctx.id);
      else ctx.exchange.answer(ctx.id, text);
    } finally {
      if (registry.get(registryKey) === ctx) registry.delete(registryKey);
    }
  }

  #notification(
    message: Extract<Incoming, { kind: "notification" }>,
    session: LocalSession | undefined,
    caller: Caller | undefined,
    identity: string,
  ): void {
    const core = this.#core;
    if (message.method === "notifications/cancelled") {
      const id = message.params?.requestId;
      if (typeof id !== "string" && typeof id !== "number") return;
      this.cancel(session ? session.key : identity, id, session !== undefined);
      return;
    }
    if (message.method === "notifications/roots/list_changed" && session) {
      for (const [label, ref] of Object.entries(session.record.backends)) {
        const backend = core.backend(label);
        if (!backend) continue;
        void core.upstream
          .notify(core.backendSessions.target(backend, ref, caller), {
            jsonrpc: "2.0",
            method: message.method,
          })
          .catch(() => {});
      }
    }
  }

  /** Cancels request `id` of `scope` here, or asks the replica running it. */
  cancel(scope: string, id: string | number, isSession: boolean, fromBus = false): void {
    const reason = new CallStopped("cancelled", "Cancelled by the client");
    const found = isSession
      ? (this.#core.sessions.local(scope)?.cancel(id, reason) ?? false)
      : this.#cancelStateless(scope, id, reason);
    if (!found && !fromBus) this.#core.bus.publish({ type: "cancel", scope, id });
  }

  #cancelStateless(identity: string, id: string | number, reason: unknown): boolean {
    const ctx = this.#stateless.get(`${identity}|${JSON.stringify(id)}`);
    ctx?.abort(reason);
    return ctx !== undefined;
  }

  /** The client's answer to a request a backend sent it: to the backend session that waits for it. */
  #answerBackend(
    message: Extract<Incoming, { kind: "response" }>,
    session: LocalSession | undefined,
    caller: Caller | undefined,
  ): void {
    const core = this.#core;
    const relayed = parseRelayId(message.id);
    const backend = relayed && core.backend(relayed.label);
    if (!relayed || !backend) return;
    const ref = session?.record.backends[relayed.label];
    void core.upstream
      .notify(
        ref
          ? core.backendSessions.target(backend, ref, caller)
          : {
              endpoint: backend.endpoint,
              protocolVersion: backend.protocolVersion,
              identity: caller,
            },
        { ...message.message, id: relayed.backendId },
      )
      .catch(() => {});
  }

  async #get(
    req: IncomingMessage,
    res: ServerResponse,
    caller: Caller | undefined,
    session: LocalSession,
  ): Promise<void> {
    const core = this.#core;
    const headers = { "mcp-session-id": session.id };
    const lastEventId = req.headers["last-event-id"];
    const resumed = typeof lastEventId === "string" ? parseEventId(lastEventId) : undefined;
    if (resumed && !resumed.stream.includes(".g"))
      return resumeCallStream(core, res, session.key, resumed.stream, resumed.seq, headers);
    const replay = resumed ? await core.events.read(session.key, resumed.stream) : undefined;
    const stream = new ClientStream(res, headers, {
      events: core.events,
      session: session.key,
      stream: this.#streamId(true),
      primes: primes(session.record.protocolVersion),
      retryMs: core.settings.retryMs,
    });
    if (resumed && replay)
      stream.replay(
        resumed.stream,
        replay.filter((event) => event.seq > resumed.seq),
      );
    // One GET stream per session: a newer one, here or on another replica, replaces it.
    session.stream?.end();
    session.stream = stream;
    session.streamCaller = caller;
    core.bus.publish({ type: "stream", session: session.key, replica: core.bus.replica });
    core.backendSessions.hold(session, caller);
    stream.onEnd(() => {
      if (session.stream !== stream) return;
      session.stream = undefined;
      core.backendSessions.release(session);
    });
  }
}
