import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import {
  RateLimitExceededError,
  type RateLimiter,
  writeRateLimitResponse,
} from "@mcp-prod/ratelimit";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Authenticator, AuthFailure, Caller } from "./auth.ts";
import { isAuthFailure } from "./auth.ts";
import type { GatewayLogger } from "./options.ts";
import { type Extra, Session, type SessionHost } from "./session.ts";

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

export type ServeOptions = {
  readonly host: string;
  readonly port: number;
  readonly loopback: boolean;
  readonly authenticator: Authenticator;
  readonly sessionHost: SessionHost;
  readonly sessions: Set<Session>;
  readonly requestLimiter: RateLimiter;
  readonly authFailureLimiter: RateLimiter;
  readonly healthHandler: NodeHandler;
  readonly metricsHandler: NodeHandler;
  readonly maxBodyBytes: number;
  readonly allowedHosts: readonly string[] | undefined;
  readonly allowedOrigins: readonly string[];
  readonly sessionIdleMs: number;
  readonly maxSessions: number;
  readonly logger: GatewayLogger | undefined;
};

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "cross-origin-resource-policy": "same-origin",
} as const;

const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

function jsonRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers = {},
): void {
  res
    .writeHead(status, { "content-type": "application/json", ...headers })
    .end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}

function sendAuthFailure(res: ServerResponse, failure: AuthFailure): void {
  res
    .writeHead(failure.status, {
      "content-type": "application/json",
      "www-authenticate": failure.wwwAuthenticate,
    })
    .end(
      JSON.stringify({
        jsonrpc: "2.0",
        error: { code: -32001, message: failure.message },
        id: null,
      }),
    );
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) throw Object.assign(new Error("request body too large"), { status: 413 });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw Object.assign(new Error("request body too large"), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw Object.assign(new Error("request body is not JSON"), { status: 400 });
  }
}

type Message = { method?: unknown; id?: unknown; params?: { name?: unknown; requestId?: unknown } };
const messagesOf = (body: unknown): Message[] =>
  (Array.isArray(body) ? body : [body]).filter(
    (message): message is Message => typeof message === "object" && message !== null,
  );

type Entry = {
  readonly session: Session;
  readonly transport: StreamableHTTPServerTransport;
  readonly identityKey: string;
  lastSeen: number;
};

/**
 * The gateway's HTTP front: `/mcp` (Streamable HTTP, with sessions when the
 * client initializes one, stateless otherwise), `/health*` and `/metrics`.
 * Host and Origin checked first (DNS rebinding), then authentication
 * (failures limited per address), the per-client request limit and scopes.
 */
export async function serveGateway(options: ServeOptions) {
  const { authenticator, sessionHost, sessions, logger } = options;
  const entries = new Map<string, Entry>();
  // Stateless exchanges in flight, by caller and JSON-RPC id, so a cancellation sent in another request finds its request.
  const inFlight = new Map<string, Entry>();
  // Tool calls answered without the SDK's server, by session and JSON-RPC id, for their cancellations.
  const fastInFlight = new Map<string, AbortController>();

  /**
   * A tool call on a session, for a backend without sessions, from a client
   * that takes no requests: answered here directly (an SSE response carrying
   * its notifications, then its result), without the SDK server's per-message
   * work. Anything else, or anything unusual, takes the SDK path.
   */
  const fastToolCall = (
    entry: Entry,
    message: Message,
    req: IncomingMessage,
    res: ServerResponse,
  ) => {
    const sessionId = entry.transport.sessionId;
    const id = message.id;
    if (message.method !== "tools/call" || (typeof id !== "string" && typeof id !== "number"))
      return false;
    if (!sessionId || !(req.headers.accept ?? "").includes("text/event-stream")) return false;
    const params = message.params as
      | { name?: unknown; arguments?: unknown; _meta?: unknown }
      | undefined;
    if (typeof params?.name !== "string") return false;
    const args = params.arguments;
    if (args !== undefined && (typeof args !== "object" || args === null || Array.isArray(args)))
      return false;
    const meta = params._meta;
    if (meta !== undefined && (typeof meta !== "object" || meta === null || Array.isArray(meta)))
      return false;
    const route = sessionHost.routes().tools.get(params.name);
    if (!route || route.backend.stateful || route.backend.state !== "up") return false;
    const { session } = entry;
    if (!sessionHost.allowed(session.caller, params.name, route.backend)) return false;
    const capabilities = session.server.getClientCapabilities();
    if (!capabilities || capabilities.sampling || capabilities.elicitation || capabilities.roots)
      return false;

    const key = `${sessionId}|${JSON.stringify(id)}`;
    const controller = new AbortController();
    fastInFlight.set(key, controller);
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      "mcp-session-id": sessionId,
    });
    const write = (payload: object) => {
      if (!res.writableEnded)
        res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", ...payload })}\n\n`);
    };
    res.on("close", () => controller.abort(new Error("The client went away")));
    const extra = {
      signal: controller.signal,
      requestId: id,
      sessionId,
      authInfo: session.caller,
      // As the SDK hands it: telemetry reads the transport and protocol version from it.
      requestInfo: { headers: req.headers },
      ...(meta ? { _meta: meta } : {}),
      sendNotification: async (notification: object) => write(notification),
      sendRequest: async () => {
        throw new Error("No request can be relayed to this client");
      },
    } as unknown as Extra;
    sessionHost
      .callTool(session, route, params.name, { ...params, name: route.name }, extra)
      .then(
        (result) => write({ id, result }),
        (error: { code?: unknown; message?: string; data?: unknown }) => {
          if (controller.signal.aborted) return;
          write({
            id,
            error: {
              code: Number.isSafeInteger(error?.code) ? error.code : -32603,
              message: error?.message ?? "Internal error",
              ...(error?.data !== undefined ? { data: error.data } : {}),
            },
          });
        },
      )
      .finally(() => {
        fastInFlight.delete(key);
        res.end();
      });
    return true;
  };

  const hostAllowed = (req: IncomingMessage) => {
    const value = req.headers.host ?? "";
    if (options.allowedHosts) return options.allowedHosts.includes(value);
    return !options.loopback || LOOPBACK_HOST.test(value);
  };
  const originAllowed = (origin: string | undefined) => {
    if (origin === undefined || options.allowedOrigins.includes(origin)) return true;
    if (!options.loopback || !URL.canParse(origin)) return false;
    return LOOPBACK_HOST.test(new URL(origin).host);
  };

  const address = (req: IncomingMessage) => req.socket.remoteAddress ?? "unknown";

  const refuseLimited = async (limiter: RateLimiter, key: string, res: ServerResponse) => {
    try {
      await limiter.consume(key);
      return false;
    } catch (error) {
      if (!RateLimitExceededError.isInstance(error)) throw error;
      writeRateLimitResponse(res, error);
      return true;
    }
  };

  const authenticate = async (
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<Caller | undefined | false> => {
    if (!authenticator.enabled) return undefined;
    const result = await authenticator.authenticate(req);
    if (isAuthFailure(result)) {
      // Every failure costs the address a point; over the limit it is told to wait (429).
      if (await refuseLimited(options.authFailureLimiter, address(req), res)) return false;
      logger?.warn(
        { event: "auth_refused", status: result.status, reason: result.message },
        "request refused",
      );
      sendAuthFailure(res, result);
      return false;
    }
    if (await refuseLimited(options.requestLimiter, result.identityKey, res)) return false;
    return result;
  };

  const authorize = (messages: Message[], caller: Caller | undefined, res: ServerResponse) => {
    if (!caller) return true;
    for (const message of messages) {
      if (message.method !== "tools/call" || typeof message.params?.name !== "string") continue;
      const name = message.params.name;
      const route = sessionHost.routes().tools.get(name);
      const failure = route
        ? authenticator.scopeFailure(caller, name, route.backend.prefix)
        : undefined;
      if (failure) {
        logger?.warn(
          { event: "auth_refused", status: 403, clientId: caller.clientId, tool: name },
          "missing scope",
        );
        sendAuthFailure(res, failure);
        return false;
      }
    }
    return true;
  };

  const open = (caller: Caller | undefined, limitKey: string, stateful: boolean): Entry => {
    const session = new Session(sessionHost, caller, limitKey);
    const transport = new StreamableHTTPServerTransport({
      ...(stateful
        ? {
            sessionIdGenerator: randomUUID,
            onsessioninitialized: (id: string) => {
              entries.set(id, entry);
            },
            onsessionclosed: (id: string) => {
              entries.delete(id);
              void close(entry);
            },
          }
        : {}),
      maxRequestBodySize: options.maxBodyBytes,
    });
    const entry: Entry = {
      session,
      transport,
      identityKey: caller?.identityKey ?? limitKey,
      lastSeen: Date.now(),
    };
    sessions.add(session);
    return entry;
  };
  const close = async (entry: Entry) => {
    sessions.delete(entry.session);
    if (entry.transport.sessionId) entries.delete(entry.transport.sessionId);
    await entry.session.close();
    await entry.transport.close().catch(() => {});
  };

  const sweeper = setInterval(
    () => {
      const cutoff = Date.now() - options.sessionIdleMs;
      for (const entry of entries.values()) if (entry.lastSeen < cutoff) void close(entry);
    },
    Math.min(options.sessionIdleMs, 60_000),
  );
  sweeper.unref();

  const handleMcp = async (req: IncomingMessage, res: ServerResponse) => {
    if (!hostAllowed(req))
      return jsonRpcError(res, 403, -32000, `Host ${req.headers.host ?? "(none)"} is not allowed`);
    if (!originAllowed(req.headers.origin))
      return jsonRpcError(res, 403, -32000, `Origin ${req.headers.origin} is not allowed`);
    const caller = await authenticate(req, res);
    if (caller === false) return;
    const identityKey = caller?.identityKey ?? `anonymous:${address(req)}`;
    if (!caller && (await refuseLimited(options.requestLimiter, identityKey, res))) return;

    const sessionId = req.headers["mcp-session-id"];
    let entry: Entry | undefined;
    if (typeof sessionId === "string") {
      entry = entries.get(sessionId);
      // A session belongs to the identity that opened it; to anyone else it does not exist.
      if (!entry || (caller && entry.identityKey !== caller.identityKey))
        return jsonRpcError(res, 404, -32001, "Session not found");
      entry.lastSeen = Date.now();
    }
    if (req.method !== "POST") {
      if (!entry)
        return jsonRpcError(res, 400, -32000, "Bad Request: Mcp-Session-Id header is required");
      if (caller) (req as IncomingMessage & { auth?: Caller }).auth = caller;
      return entry.transport.handleRequest(req, res);
    }

    let body: unknown;
    try {
      body = await readJson(req, options.maxBodyBytes);
    } catch (error) {
      return jsonRpcError(
        res,
        (error as { status?: number }).status ?? 400,
        -32700,
        (error as Error).message,
      );
    }
    const messages = messagesOf(body);
    if (!authorize(messages, caller, res)) return;
    const cancelled = messages
      .filter((message) => message.method === "notifications/cancelled")
      .map((message) => message.params?.requestId);

    if (entry?.transport.sessionId) {
      // A cancellation of a call answered directly: abort it and end its response.
      for (const requestId of cancelled) {
        fastInFlight
          .get(`${entry.transport.sessionId}|${JSON.stringify(requestId)}`)
          ?.abort(new Error("Cancelled by the client"));
      }
      const [only] = messages;
      if (messages.length === 1 && only && fastToolCall(entry, only, req, res)) return;
    }
    if (!entry) {
      if (messages.some((message) => message.method === "initialize")) {
        if (entries.size >= options.maxSessions)
          return jsonRpcError(res, 503, -32000, "Too many sessions", { "retry-after": "5" });
        entry = open(caller, identityKey, true);
      } else {
        // No session: this exchange runs stateless, and its cancellations are routed by caller and id.
        for (const requestId of cancelled) {
          const target = inFlight.get(`${identityKey}|${JSON.stringify(requestId)}`);
          const message = messages.find((each) => each.params?.requestId === requestId);
          if (target && message) {
            target.transport.onmessage?.(message as never);
            target.transport.closeSSEStream(requestId as string | number);
          }
        }
        entry = open(caller, identityKey, false);
        const stateless = entry;
        const keys = messages
          .filter((message) => message.id !== undefined && typeof message.method === "string")
          .map((message) => `${identityKey}|${JSON.stringify(message.id)}`);
        for (const key of keys) inFlight.set(key, stateless);
        res.on("close", () => {
          for (const key of keys) if (inFlight.get(key) === stateless) inFlight.delete(key);
          void close(stateless);
        });
      }
      await entry.session.server.connect(entry.transport);
    }
    if (caller) (req as IncomingMessage & { auth?: Caller }).auth = caller;
    await entry.transport.handleRequest(req, res, body);
    // A cancelled exchange ends: the SDK sends no answer for it, so its stream is closed here.
    for (const requestId of cancelled) {
      if (typeof requestId === "string" || typeof requestId === "number")
        entry.transport.closeSSEStream(requestId);
    }
  };

  const server: Server = createServer((req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/health" || path.startsWith("/health/")) void options.healthHandler(req, res);
    else if (path === "/metrics") void options.metricsHandler(req, res);
    else if (path === "/mcp") {
      handleMcp(req, res).catch((error: unknown) => {
        logger?.warn({ event: "request_failed", err: error }, "request failed");
        if (!res.headersSent) jsonRpcError(res, 500, -32603, "Internal error");
        else res.destroy();
      });
    } else res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address();
  const port = typeof bound === "object" && bound ? bound.port : options.port;
  const shown = options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host;
  const url = `http://${shown.includes(":") ? `[${shown}]` : shown}:${port}`;
  return {
    server,
    url,
    close: async () => {
      clearInterval(sweeper);
      await Promise.allSettled([...entries.values()].map(close));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
