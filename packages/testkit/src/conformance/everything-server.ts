// The "everything" fixture served over Streamable HTTP on loopback, one McpServer per client
// session, so that session-based scenarios (logging levels, subscriptions, sampling and
// elicitation requests back to the client, resumable SSE) behave as on the suite's own server.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  assertBoolean,
  assertKnownKeys,
  assertNonNegativeInteger,
  assertOptions,
  assertString,
  optionKeys,
} from "@mcp-prod/internal";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { createMemoryEventStore } from "./event-store.ts";
import { createEverythingMcpServer, type FixtureSession } from "./fixtures.ts";

/** Options for {@link startEverythingServer}. */
export type EverythingServerOptions = {
  /**
   * Address to listen on. Only loopback addresses make sense: the server accepts only loopback
   * `Host` and `Origin` values (DNS-rebinding protection).
   * @default "127.0.0.1"
   */
  readonly host?: string;
  /**
   * Port to listen on; `0` picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * The `retry` field sent in SSE priming events, telling clients how soon to reconnect.
   * @default 1000
   */
  readonly retryIntervalMs?: number;
  /**
   * Refuse a `Host` or `Origin` that is not loopback with 403 (DNS-rebinding protection). Off only
   * to check that something in front of the fixture (a gateway) protects itself, rather than
   * passing on the fixture's refusal.
   * @default true
   */
  readonly dnsRebindingProtection?: boolean;
  /**
   * Largest request body accepted, in bytes.
   * @default 1048576
   */
  readonly maxBodyBytes?: number;
};

/** A running fixture server. */
export type EverythingServer = {
  /** The MCP endpoint, e.g. `http://127.0.0.1:41234/mcp`. */
  readonly url: string;
  readonly port: number;
  /** Client sessions open right now. */
  readonly sessionCount: () => number;
  /** Sends `notifications/resources/updated` for `uri` to every session subscribed to it; resolves with how many. */
  notifyResourceUpdated(uri: string): Promise<number>;
  /** Closes every session and the listener. */
  close(): Promise<void>;
};

type Session = {
  readonly transport: StreamableHTTPServerTransport;
  readonly server: McpServer;
  readonly state: FixtureSession;
};

const knownKeys = optionKeys<EverythingServerOptions>({
  host: true,
  port: true,
  retryIntervalMs: true,
  dnsRebindingProtection: true,
  maxBodyBytes: true,
});
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Is this `Host` value (with or without a port) a loopback name? */
function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  try {
    return LOOPBACK_HOSTS.has(new URL(`http://${host}`).hostname.toLowerCase());
  } catch {
    return false;
  }
}

/** An absent `Origin` (not a browser) is fine; a present one must name a loopback host. */
function isLoopbackOrigin(origin: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return LOOPBACK_HOSTS.has(new URL(origin).hostname.toLowerCase());
  } catch {
    return false;
  }
}

function sendError(res: ServerResponse, status: number, code: number, message: string): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}

async function readBody(req: IncomingMessage, maxBodyBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new RangeError("body too large");
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/**
 * Starts the conformance "everything" fixture on loopback: every tool, resource and prompt the
 * MCP conformance suite's server scenarios call, built with the SDK's `McpServer`.
 *
 * @example
 * const fixture = await startEverythingServer();
 * // npx conformance server --url ${fixture.url} --suite all
 * await fixture.close();
 */
export async function startEverythingServer(
  options: EverythingServerOptions = {},
): Promise<EverythingServer> {
  assertOptions(options);
  assertKnownKeys(options, knownKeys, "startEverythingServer()");
  const {
    host = "127.0.0.1",
    port = 0,
    retryIntervalMs = 1000,
    dnsRebindingProtection = true,
    maxBodyBytes = 1_048_576,
  } = options;
  assertString(host, "host");
  assertNonNegativeInteger(port, "port");
  assertNonNegativeInteger(retryIntervalMs, "retryIntervalMs");
  assertNonNegativeInteger(maxBodyBytes, "maxBodyBytes");
  assertBoolean(dnsRebindingProtection, "dnsRebindingProtection");

  const sessions = new Map<string, Session>();

  const openSession = async (): Promise<Session> => {
    const { server, session: state } = createEverythingMcpServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: createMemoryEventStore(),
      retryInterval: retryIntervalMs,
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, session);
      },
    });
    const session: Session = { transport, server, state };
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return session;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const foreign = !isLoopbackHost(req.headers.host) || !isLoopbackOrigin(req.headers.origin);
    if (dnsRebindingProtection && foreign) {
      return sendError(res, 403, -32000, "Forbidden: Host and Origin must be loopback");
    }
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== "/mcp") return sendError(res, 404, -32000, "Not found");
    const sessionId = req.headers["mcp-session-id"];
    const existing = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
    if (typeof sessionId === "string" && !existing) {
      return sendError(res, 404, -32001, "Session not found");
    }
    if (req.method !== "POST") {
      if (!existing) return sendError(res, 400, -32000, "Bad Request: no session");
      return existing.transport.handleRequest(req, res);
    }
    let body: unknown;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (error) {
      return error instanceof RangeError
        ? sendError(res, 413, -32000, "Request body too large")
        : sendError(res, 400, -32700, "Parse error");
    }
    if (existing) return existing.transport.handleRequest(req, res, body);
    if (!isInitializeRequest(body)) {
      return sendError(res, 400, -32000, "Bad Request: no session, and not an initialize request");
    }
    const session = await openSession();
    await session.transport.handleRequest(req, res, body);
    // An initialize the transport refused leaves a session that nobody can reach.
    if (!session.transport.sessionId) await session.server.close();
  };

  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      sendError(res, 500, -32603, error instanceof Error ? error.message : "Internal error");
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;

  return {
    url: `http://${urlHost}:${address.port}/mcp`,
    port: address.port,
    sessionCount: () => sessions.size,
    async notifyResourceUpdated(uri) {
      let notified = 0;
      for (const { server, state } of sessions.values()) {
        if (!state.subscriptions.has(uri)) continue;
        await server.server.sendResourceUpdated({ uri });
        notified += 1;
      }
      return notified;
    },
    async close() {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(open.map(({ server }) => server.close()));
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}
