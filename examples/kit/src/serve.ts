import { createHash } from "node:crypto";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { Duplex } from "node:stream";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { createRequestGuard } from "./rebinding.ts";

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;
/** `McpServer`, or the low-level `Server` (the gateway forwards JSON Schema tools through it). */
type McpLikeServer = Pick<McpServer, "connect" | "close">;

/** The parts of @mcp-prod/health and @mcp-prod/telemetry a served example uses. */
export type ServeOptions = {
  readonly host: string;
  readonly port: number;
  /** Builds the MCP server for one request: stateless mode, so any replica can answer any request. */
  readonly createMcpServer: (request: IncomingMessage) => McpLikeServer | Promise<McpLikeServer>;
  readonly healthHandler: NodeHandler;
  readonly metricsHandler: NodeHandler;
  /** Runs before an MCP request; answers it (returning `false`) or returns what it learned of the caller. */
  readonly authenticate?: (
    req: IncomingMessage,
    res: ServerResponse,
  ) => Promise<AuthInfo | undefined | false> | AuthInfo | undefined | false;
  /** Runs on the parsed body before it reaches the MCP server; answers the request itself when it returns `false`. */
  readonly authorize?: (body: unknown, auth: AuthInfo | undefined, res: ServerResponse) => boolean;
  /** Largest accepted request body. @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** How long a request body may take to arrive before it is answered 408. @default 10_000 */
  readonly bodyTimeoutMs?: number;
  /**
   * Host names the MCP endpoint answers besides the loopback ones (and, bound
   * to a non-loopback address, IP literals): DNS-rebinding protection. See
   * {@link createRequestGuard}. @default []
   */
  readonly allowedHosts?: readonly string[] | undefined;
  /** Browser origins accepted besides the server's own. @default [] */
  readonly allowedOrigins?: readonly string[] | undefined;
  /**
   * A second port that serves `/metrics` alone (`METRICS_PORT`), so that a
   * NetworkPolicy can let a scraper in without letting it reach the MCP
   * endpoint. `/metrics` stays on the main port too. @default undefined (none)
   */
  readonly metricsPort?: number | undefined;
};

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "cross-origin-resource-policy": "same-origin",
} as const;

function jsonRpcError(res: ServerResponse, status: number, message: string, headers = {}): void {
  res
    .writeHead(status, { "content-type": "application/json", ...headers })
    .end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

const httpError = (status: number, message: string) =>
  Object.assign(new Error(message), { status });

/**
 * Reads a JSON body of at most `limit` bytes that arrives within `timeoutMs`.
 * On refusal the caller answers and closes the connection: the rest of the
 * body is never read, so the socket cannot carry another request.
 */
function readJson(req: IncomingMessage, limit: number, timeoutMs: number): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) return Promise.reject(httpError(413, "request body too large"));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: Error | undefined) => {
      clearTimeout(timer);
      req.off("data", onData).off("end", onEnd).off("error", onError);
      if (error) {
        req.pause();
        reject(error);
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(httpError(400, "request body is not JSON"));
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish(httpError(413, "request body too large"));
      else chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onError = (error: Error) => finish(error);
    const timer = setTimeout(
      () => finish(httpError(408, "request body not received in time")),
      timeoutMs,
    );
    req.on("data", onData).on("end", onEnd).on("error", onError);
  });
}

/** The statuses Node itself answers these parser and timeout errors with. */
const CLIENT_ERROR_STATUS: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/**
 * Node answers requests it cannot parse itself (400, 431 for oversized
 * headers, 408 when its own timeouts fire), without the security headers:
 * this answers them with the headers instead.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const inProgress = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  if (error.code === "ECONNRESET" || !socket.writable || inProgress?.headersSent) {
    socket.destroy();
    return;
  }
  const status = CLIENT_ERROR_STATUS[error.code ?? ""] ?? 400;
  const headers = Object.entries(SECURITY_HEADERS)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n${headers}\r\n`,
  );
}

type JsonRpcMessage = { method?: unknown; id?: unknown; params?: { requestId?: unknown } };
type InFlight = {
  readonly transport: StreamableHTTPServerTransport;
  /** Keys of this exchange's requests not cancelled yet. */
  readonly pending: Set<string>;
};

const messagesOf = (body: unknown): JsonRpcMessage[] =>
  (Array.isArray(body) ? body : [body]).filter(
    (message): message is JsonRpcMessage => typeof message === "object" && message !== null,
  );

/**
 * Serves an MCP server over Streamable HTTP in stateless mode, next to
 * `/health*` and `/metrics`, with security headers on every answer (Node's
 * own 400/408/431 included), DNS-rebinding protection on the MCP endpoint
 * (see {@link createRequestGuard}), bounded request bodies, and cancelled
 * calls ended. Returns the listening `http.Server` (hand it to
 * `health.gracefulShutdown`).
 *
 * @example
 * const { server, url } = await serveMcp({
 *   host: "127.0.0.1",
 *   port: 3001,
 *   createMcpServer: () => buildServer(),
 *   healthHandler: health.nodeHandler(),
 *   metricsHandler: telemetry.metricsHandler(),
 * });
 */
export async function serveMcp(
  options: ServeOptions,
): Promise<{ server: Server; url: string; metricsServer?: Server }> {
  const {
    maxBodyBytes = 1024 * 1024,
    bodyTimeoutMs = 10_000,
    allowedHosts,
    allowedOrigins,
  } = options;
  const refusal = createRequestGuard({ bindHost: options.host, allowedHosts, allowedOrigins });
  // Stateless mode builds a server per request, so a client's `notifications/cancelled`
  // arrives at a server that never saw the request. Requests in flight are kept here,
  // keyed by caller and JSON-RPC id, and a cancellation is handed to the one it names;
  // when that is ambiguous (two in flight with the same key) none is cancelled.
  // The SDK sends no answer for a cancelled request, so once every request of an
  // exchange is cancelled its response is ended here: the socket is freed and a
  // graceful shutdown does not wait for it.
  const inFlight = new Map<string, Set<InFlight>>();
  const forget = (key: string, entry: InFlight) => {
    entry.pending.delete(key);
    const set = inFlight.get(key);
    set?.delete(entry);
    if (set?.size === 0) inFlight.delete(key);
  };
  // The caller is its bearer token when it has one (a cancellation comes with the same
  // token), else its address (a gateway's single client to a backend numbers ids uniquely).
  const callerOf = (req: IncomingMessage, auth: AuthInfo | undefined) =>
    auth?.token
      ? `token:${createHash("sha256").update(auth.token).digest("base64url")}`
      : `address:${req.socket.remoteAddress ?? ""}`;
  const routeCancellations = (caller: string, messages: JsonRpcMessage[]) => {
    for (const message of messages) {
      if (message.method !== "notifications/cancelled") continue;
      const key = `${caller}|${JSON.stringify(message.params?.requestId)}`;
      const targets = inFlight.get(key);
      if (targets?.size !== 1) continue;
      for (const target of targets) {
        target.transport.onmessage?.(message as never);
        forget(key, target);
        // Closing the transport closes its response stream, which ends the HTTP response.
        if (target.pending.size === 0) void target.transport.close();
      }
    }
  };

  const handleMcp = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST") {
      jsonRpcError(res, 405, "Method not allowed: this server is stateless, use POST", {
        allow: "POST",
      });
      return;
    }
    const refused = refusal(req.headers);
    if (refused) {
      jsonRpcError(res, 403, refused);
      return;
    }
    const auth = options.authenticate ? await options.authenticate(req, res) : undefined;
    if (auth === false) return;
    let body: unknown;
    try {
      body = await readJson(req, maxBodyBytes, bodyTimeoutMs);
    } catch (error) {
      const status = (error as { status?: number }).status ?? 400;
      jsonRpcError(res, status, (error as Error).message, { connection: "close" });
      return;
    }
    if (options.authorize && !options.authorize(body, auth || undefined, res)) return;
    const caller = callerOf(req, auth || undefined);
    const messages = messagesOf(body);
    routeCancellations(caller, messages);
    const mcp = await options.createMcpServer(req);
    // No sessionIdGenerator: stateless mode, any replica can answer any request.
    const transport = new StreamableHTTPServerTransport({});
    const keys = messages
      .filter((message) => message.id !== undefined && typeof message.method === "string")
      .map((message) => `${caller}|${JSON.stringify(message.id)}`);
    const entry: InFlight = { transport, pending: new Set(keys) };
    for (const key of keys) {
      const set = inFlight.get(key) ?? new Set();
      set.add(entry);
      inFlight.set(key, set);
    }
    res.on("close", () => {
      for (const key of keys) forget(key, entry);
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    if (auth) (req as IncomingMessage & { auth?: AuthInfo }).auth = auth;
    await transport.handleRequest(req, res, body);
  };

  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    // A rebound page could read /health and /metrics too: the same Host rule holds there
    // (probes and scrapers address the server by IP or a listed name, which pass).
    const refusedHost = path === "/mcp" ? undefined : refusal({ host: req.headers.host });
    if (refusedHost) {
      res
        .writeHead(403, { "content-type": "application/json" })
        .end(JSON.stringify({ error: refusedHost }));
    } else if (path === "/health" || path.startsWith("/health/")) {
      void options.healthHandler(req, res);
    } else if (path === "/metrics") {
      void options.metricsHandler(req, res);
    } else if (path === "/mcp") {
      handleMcp(req, res).catch((error: unknown) => {
        if (!res.headersSent) jsonRpcError(res, 500, (error as Error).message ?? "internal error");
        else res.destroy();
      });
    } else {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
    }
  });
  server.on("clientError", answerClientError);
  const port = await listen(server, options.port, options.host);
  const host = options.host === "0.0.0.0" ? "127.0.0.1" : options.host;
  if (options.metricsPort === undefined) return { server, url: `http://${host}:${port}` };
  const metricsServer = createServer((req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    if ((req.url ?? "/").split("?")[0] === "/metrics") void options.metricsHandler(req, res);
    else res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
  });
  metricsServer.on("clientError", answerClientError);
  try {
    await listen(metricsServer, options.metricsPort, options.host);
  } catch (error) {
    server.close();
    throw error;
  }
  return { server, url: `http://${host}:${port}`, metricsServer };
}

/** Listens and resolves with the port it got (port 0 picks a free one). */
async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === "object" && address ? address.port : port;
}

/**
 * One JSON Schema validator for every per-request server. A server builds its
 * own Ajv instance unless handed one, and stateless mode builds a server per
 * request: sharing it keeps about a millisecond of Ajv set-up off every call.
 */
export const sharedJsonSchemaValidator = new AjvJsonSchemaValidator();
