// Backends the gateway's tests put behind it: real SDK McpServers over Streamable HTTP (with or
// without sessions) that record what reaches them, and raw node:http ones for what no SDK
// server does.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  ListRootsResultSchema,
  McpError,
  type ServerCapabilities,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { IDENTITY_HEADERS } from "./identity.ts";

/** The identity a backend received from the gateway, decoded. */
export function identityFrom(req: IncomingMessage): AuthInfo | undefined {
  const header = (name: string) => {
    const value = req.headers[name];
    return typeof value === "string" ? decodeURIComponent(value) : undefined;
  };
  const clientId = header(IDENTITY_HEADERS.clientId);
  if (!clientId) return undefined;
  const subject = header(IDENTITY_HEADERS.subject);
  return {
    token: "",
    clientId,
    scopes:
      (req.headers[IDENTITY_HEADERS.scopes] as string | undefined)
        ?.split(" ")
        .filter(Boolean)
        .map(decodeURIComponent) ?? [],
    extra: { via: "gateway", ...(subject !== undefined ? { subject } : {}) },
  };
}

export type BackendRecord = {
  calls: number;
  identities: (AuthInfo | undefined)[];
  cancelled: number;
  started: number;
  sessions: number;
  requests: Array<{ method: string; params: unknown }>;
  /** Session ids the gateway ended with DELETE. */
  deleted: string[];
  /** Session ids the backend issued, in order. */
  sessionIds: string[];
  /** GET streams open right now. */
  streams: number;
};

type Build = (server: McpServer, record: BackendRecord) => void;

/** The tools the gateway tests use: `whoami`, `slow` (progress, waits for cancellation) and `ping`. */
export const standardTools =
  (kind: "users" | "analytics"): Build =>
  (server, record) => {
    if (kind === "users") {
      server.registerTool("whoami", { description: "Echo the caller identity" }, async (extra) => {
        record.calls += 1;
        record.identities.push(extra.authInfo);
        return {
          content: [
            {
              type: "text",
              text: JSON.stringify({
                clientId: extra.authInfo?.clientId,
                scopes: extra.authInfo?.scopes,
              }),
            },
          ],
        };
      });
      server.registerTool(
        "slow",
        {
          description: "Waits until cancelled, reporting progress",
          inputSchema: { steps: z.number().int() },
        },
        async ({ steps }, extra) => {
          record.calls += 1;
          record.started += 1;
          const token = extra._meta?.progressToken;
          for (let step = 1; step <= steps; step += 1) {
            if (token !== undefined) {
              await extra.sendNotification({
                method: "notifications/progress",
                params: { progressToken: token, progress: step, total: steps },
              });
            }
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          await new Promise<void>((resolve) => {
            if (extra.signal.aborted) return resolve();
            extra.signal.addEventListener("abort", () => resolve(), { once: true });
            setTimeout(resolve, 10_000).unref();
          });
          if (extra.signal.aborted) record.cancelled += 1;
          return { content: [{ type: "text", text: "done" }] };
        },
      );
    } else {
      server.registerTool(
        "ping",
        { description: "Answers pong", inputSchema: { n: z.number() } },
        async ({ n }, extra) => {
          record.calls += 1;
          record.identities.push(extra.authInfo);
          return { content: [{ type: "text", text: `pong ${n}` }] };
        },
      );
    }
  };

/**
 * A backend MCP server over Streamable HTTP on loopback: with sessions
 * (`stateful`, the SDK's session mode) or a new server per request.
 */
export async function startBackend(
  build: Build | "users" | "analytics",
  options: {
    port?: number;
    stateful?: boolean;
    name?: string;
    instructions?: string;
    capabilities?: ServerCapabilities;
    ready?: () => number;
  } = {},
) {
  const setup = typeof build === "string" ? standardTools(build) : build;
  const record: BackendRecord = {
    calls: 0,
    identities: [],
    cancelled: 0,
    started: 0,
    sessions: 0,
    requests: [],
    deleted: [],
    sessionIds: [],
    streams: 0,
  };
  const create = () => {
    const server = new McpServer(
      { name: options.name ?? "test-backend", version: "0.0.0" },
      {
        ...(options.instructions ? { instructions: options.instructions } : {}),
        ...(options.capabilities ? { capabilities: options.capabilities } : {}),
      },
    );
    setup(server, record);
    return server;
  };
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const inFlight = new Map<string, StreamableHTTPServerTransport>();
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === "/health/ready") {
      const status = options.ready?.() ?? 404;
      res.writeHead(status).end();
      return;
    }
    const auth = identityFrom(req);
    if (auth) (req as IncomingMessage & { auth?: AuthInfo }).auth = auth;
    const body = req.method === "POST" ? await readBody(req) : undefined;
    for (const message of Array.isArray(body) ? body : body ? [body] : []) {
      if (typeof message.method === "string")
        record.requests.push({ method: message.method, params: message.params });
    }
    if (!options.stateful) {
      // A new server per request: a cancellation is handed to the transport of the request it names.
      const messages = Array.isArray(body) ? body : body ? [body] : [];
      for (const message of messages) {
        if (message.method === "notifications/cancelled")
          inFlight.get(JSON.stringify(message.params?.requestId))?.onmessage?.(message);
      }
      const server = create();
      const transport = new StreamableHTTPServerTransport({});
      const ids = messages
        .filter((message) => message.id !== undefined)
        .map((message) => JSON.stringify(message.id));
      for (const id of ids) inFlight.set(id, transport);
      res.on("close", () => {
        for (const id of ids) if (inFlight.get(id) === transport) inFlight.delete(id);
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
      return;
    }
    const id = req.headers["mcp-session-id"];
    if (req.method === "DELETE" && typeof id === "string") record.deleted.push(id);
    if (req.method === "GET") {
      record.streams += 1;
      res.once("close", () => {
        record.streams -= 1;
      });
    }
    let transport = typeof id === "string" ? transports.get(id) : undefined;
    if (typeof id === "string" && !transport) {
      res.writeHead(404, { "content-type": "application/json" }).end(
        JSON.stringify({
          jsonrpc: "2.0",
          error: { code: -32001, message: "Session not found" },
          id: null,
        }),
      );
      return;
    }
    if (!transport) {
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (sessionId) => {
          record.sessions += 1;
          record.sessionIds.push(sessionId);
          transports.set(sessionId, created);
        },
        onsessionclosed: (sessionId) => {
          transports.delete(sessionId);
        },
      });
      transport = created;
      await create().connect(created);
    }
    await transport.handleRequest(req, res, body);
  };
  const http = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(options.port ?? 0, "127.0.0.1", resolve));
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    record,
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    /** Forgets every session, as a restarted backend would. */
    forgetSessions: () => {
      for (const transport of transports.values()) void transport.close();
      transports.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const transport of transports.values()) void transport.close();
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

export type TestBackend = Awaited<ReturnType<typeof startBackend>>;

/** How a raw backend answers one `tools/call`: it writes the whole HTTP answer itself. */
export type RawTool = (res: ServerResponse, id: unknown, params: Record<string, unknown>) => void;

/**
 * A backend without sessions written by hand on `node:http`: it answers
 * `initialize` and `tools/list` itself, and each tool call with the tool's own
 * raw HTTP answer, for what no SDK server does (answers that never end, bodies
 * with secrets, floods).
 */
export async function startRawBackend(tools: Record<string, RawTool>) {
  const open = new Set<ServerResponse>();
  const http = createServer(async (req, res) => {
    open.add(res);
    res.once("close", () => open.delete(res));
    if (req.method !== "POST") return void res.writeHead(405).end();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const message = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const json = (body: unknown) =>
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (message.id === undefined) return void res.writeHead(202).end();
    if (message.method === "initialize")
      return json({
        jsonrpc: "2.0",
        id: message.id,
        result: {
          protocolVersion: "2025-06-18",
          capabilities: { tools: {} },
          serverInfo: { name: "raw", version: "0" },
        },
      });
    if (message.method === "tools/list")
      return json({
        jsonrpc: "2.0",
        id: message.id,
        result: {
          tools: Object.keys(tools).map((name) => ({ name, inputSchema: { type: "object" } })),
        },
      });
    const tool = tools[message.params?.name];
    if (message.method === "tools/call" && tool) return tool(res, message.id, message.params);
    json({ jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "no" } });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    /** Answers still open (their connection too). */
    open: () => open.size,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/** A tool result's whole SSE event, as a backend writes it. */
export const sseResult = (id: unknown, text: string) =>
  `event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text }] } })}\n\n`;

/** A backend using every server feature, as the conformance suite's reference server does. */
export function everything(server: McpServer, record: BackendRecord): void {
  server.registerTool(
    "echo_meta",
    { description: "Answers with the request's _meta" },
    async (extra) => ({
      content: [{ type: "text", text: JSON.stringify(extra._meta ?? {}) }],
    }),
  );
  server.registerTool("fail", { description: "Raises a JSON-RPC error" }, async () => {
    throw new McpError(-32042, "custom failure", { detail: 7 });
  });
  server.registerTool(
    "ask_model",
    { description: "Samples from the client's model" },
    async (extra) => {
      const result = await extra.sendRequest(
        {
          method: "sampling/createMessage",
          params: {
            messages: [{ role: "user", content: { type: "text", text: "2+2?" } }],
            maxTokens: 10,
          },
        },
        CreateMessageResultSchema,
      );
      return { content: [{ type: "text", text: JSON.stringify(result) }] };
    },
  );
  server.registerTool("log_twice", { description: "Sends two log messages" }, async (extra) => {
    for (const data of ["first", "second"]) {
      await extra.sendNotification({
        method: "notifications/message",
        params: { level: "info", data },
      });
    }
    return { content: [{ type: "text", text: "logged" }] };
  });
  server.registerResource(
    "readme",
    "file:///readme.txt",
    { mimeType: "text/plain" },
    async (uri) => ({
      contents: [{ uri: uri.href, text: "read me" }],
    }),
  );
  server.registerResource(
    "item",
    new ResourceTemplate("items://{id}", {
      list: undefined,
      complete: { id: (value) => ["alpha", "beta", "gamma"].filter((id) => id.startsWith(value)) },
    }),
    {},
    async (uri, { id }) => ({ contents: [{ uri: uri.href, text: `item ${String(id)}` }] }),
  );
  server.registerPrompt(
    "greet",
    {
      description: "Greets someone",
      argsSchema: {
        name: completable(z.string(), (value) =>
          ["Ada", "Alan"].filter((name) => name.startsWith(value)),
        ),
      },
    },
    ({ name }) => ({
      messages: [{ role: "user", content: { type: "text", text: `Hello ${name}` } }],
    }),
  );
  server.registerTool(
    "ask_user",
    { description: "Elicits input, then lists roots" },
    async (extra) => {
      const answer = await extra.sendRequest(
        {
          method: "elicitation/create",
          params: {
            message: "Your name?",
            requestedSchema: { type: "object", properties: { name: { type: "string" } } },
          },
        },
        ElicitResultSchema,
      );
      const roots = await extra.sendRequest({ method: "roots/list" }, ListRootsResultSchema);
      return { content: [{ type: "text", text: JSON.stringify({ answer, roots }) }] };
    },
  );
  server.registerTool("touch", { description: "Marks the readme updated" }, async () => {
    await server.server.sendResourceUpdated({ uri: "file:///readme.txt" });
    return { content: [{ type: "text", text: "touched" }] };
  });
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    record.requests.push({ method: "subscribed", params: request.params.uri });
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async () => ({}));
}
