import {
  Client as Client2,
  StreamableHTTPClientTransport as StreamableHTTPClientTransport2,
} from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";

/** Options of {@link connectHttp} and {@link connectHttp2}. */
export type HttpClientOptions = {
  /** Sent with every request (an `authorization` header, say). */
  readonly headers?: Record<string, string>;
  /** What the client declares it can answer (sampling, elicitation, roots). */
  readonly capabilities?: ClientCapabilities;
};

/** A client connected over Streamable HTTP; `close()` ends its session (DELETE) and closes it. */
export type HttpConnection<C, T> = {
  readonly client: C;
  readonly transport: T;
  /** The session id the server gave, if any. */
  readonly sessionId: () => string | undefined;
  close(): Promise<void>;
};

/**
 * A real SDK 1.x `Client` connected to an MCP endpoint over Streamable HTTP.
 *
 * @example
 * ```ts
 * const { client, close } = await connectHttp(`${gateway.url}/mcp`, { headers: { authorization: "Bearer key" } });
 * await client.callTool({ name: "whoami" });
 * await close();
 * ```
 */
export async function connectHttp(
  url: string,
  options: HttpClientOptions = {},
): Promise<HttpConnection<Client, StreamableHTTPClientTransport>> {
  const client = new Client(
    { name: "test-client", version: "1.0.0" },
    { capabilities: options.capabilities ?? {} },
  );
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: options.headers ?? {} },
  });
  return link(client, transport);
}

/** Connects `client` over `transport`; closing ends the session first, as a polite client does. */
async function link<
  C extends { connect(transport: T): Promise<void>; close(): Promise<void> },
  T extends { readonly sessionId?: string | undefined; terminateSession(): Promise<void> },
>(client: C, transport: T): Promise<HttpConnection<C, T>> {
  await client.connect(transport);
  return {
    client,
    transport,
    sessionId: () => transport.sessionId,
    close: async () => {
      await transport.terminateSession().catch(() => {});
      await client.close();
    },
  };
}

/**
 * {@link connectHttp} for SDK 2.x: an `@modelcontextprotocol/client` `Client`
 * over its own Streamable HTTP transport.
 *
 * @example
 * ```ts
 * const { client, close } = await connectHttp2(`${gateway.url}/mcp`);
 * ```
 */
export async function connectHttp2(
  url: string,
  options: HttpClientOptions = {},
): Promise<HttpConnection<Client2, StreamableHTTPClientTransport2>> {
  const client = new Client2(
    { name: "test-client", version: "2.0.0" },
    { capabilities: (options.capabilities ?? {}) as never },
  );
  const transport = new StreamableHTTPClientTransport2(new URL(url), {
    requestInit: { headers: options.headers ?? {} },
  });
  return link(client, transport);
}

/** What {@link postMcp} got back. */
export type McpPostResult = {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
};

/**
 * POSTs one JSON-RPC body (or a batch) to an MCP endpoint as a Streamable
 * HTTP client would, and reads the whole answer.
 *
 * @example
 * ```ts
 * const { status, text } = await postMcp(`${url}/mcp`, { jsonrpc: "2.0", id: 1, method: "ping" });
 * ```
 */
export async function postMcp(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<McpPostResult> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}
