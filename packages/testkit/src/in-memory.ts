import {
  Client as Client2,
  InMemoryTransport as InMemoryTransport2,
} from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpServer as McpServer2 } from "@modelcontextprotocol/server";
import { onTestFinished } from "vitest";

/** A client connected to a server in memory; `close()` closes the client, then the server. */
export type InMemoryConnection<C> = { readonly client: C; close(): Promise<void> };

/** How the in-memory client presents itself. */
export type ConnectOptions = {
  /**
   * Sent with every message, as an HTTP transport does once it has verified
   * a bearer token: the handler sees it at `extra.authInfo` (SDK 1.x) or
   * `ctx.http.authInfo` (2.x).
   */
  readonly authInfo?: {
    readonly token: string;
    readonly clientId: string;
    readonly scopes: string[];
    readonly extra?: Record<string, unknown>;
  };
};

type Endpoint<T> = { connect(transport: T): Promise<void>; close(): Promise<void> };
type Sending = { send(message: never, options?: never): Promise<void> };

async function link<T extends Sending, C extends Endpoint<T>>(
  server: Endpoint<T>,
  client: C,
  [clientEnd, serverEnd]: [T, T],
  { authInfo }: ConnectOptions,
): Promise<InMemoryConnection<C>> {
  if (authInfo !== undefined) {
    const send = clientEnd.send.bind(clientEnd) as (
      message: unknown,
      options?: object,
    ) => Promise<void>;
    (clientEnd as { send: unknown }).send = (message: unknown, options?: object) =>
      send(message, { ...options, authInfo });
  }
  await Promise.all([server.connect(serverEnd), client.connect(clientEnd)]);
  return {
    client,
    close: async () => {
      // Client first, as the SDK's own tests do, then its server.
      await client.close();
      await server.close();
    },
  };
}

/**
 * A real SDK 1.x `Client` connected to `server` over the SDK's in-memory
 * transport pair.
 *
 * @example
 * ```ts
 * const { client, close } = await connectInMemory(server, {
 *   authInfo: { token: "t", clientId: "alice", scopes: [] },
 * });
 * onTestFinished(close);
 * await client.callTool({ name: "get_weather", arguments: { city: "Oslo" } });
 * ```
 */
export function connectInMemory(
  server: McpServer,
  options: ConnectOptions = {},
): Promise<InMemoryConnection<Client>> {
  return link(
    server,
    new Client({ name: "test-client", version: "1.0.0" }),
    InMemoryTransport.createLinkedPair(),
    options,
  );
}

/**
 * {@link connectInMemory} for SDK 2.x: an `@modelcontextprotocol/client`
 * `Client` connected to an `@modelcontextprotocol/server` `McpServer`.
 *
 * @example
 * ```ts
 * const { client, close } = await connectInMemory2(server);
 * ```
 */
export function connectInMemory2(
  server: McpServer2,
  options: ConnectOptions = {},
): Promise<InMemoryConnection<Client2>> {
  return link(
    server,
    new Client2({ name: "test-client", version: "1.0.0" }),
    InMemoryTransport2.createLinkedPair(),
    options,
  );
}

/**
 * A new SDK 1.x `McpServer`, set up by `register`, with a real `Client`
 * connected to it in memory; both are closed when the calling test finishes.
 *
 * @example
 * ```ts
 * const { client } = await serveInMemory((server) => {
 *   server.registerTool("forecast", { inputSchema: { city: z.string() } }, withBreaker(handler));
 * });
 * await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
 * ```
 */
export async function serveInMemory(
  register: (server: McpServer) => void,
  options: ConnectOptions = {},
): Promise<{ readonly client: Client; readonly server: McpServer }> {
  const server = new McpServer({ name: "test-server", version: "1.0.0" });
  register(server);
  const { client, close } = await connectInMemory(server, options);
  onTestFinished(close);
  return { client, server };
}

/** {@link serveInMemory} on SDK 2.x (`@modelcontextprotocol/server` and `/client`). */
export async function serveInMemory2(
  register: (server: McpServer2) => void,
  options: ConnectOptions = {},
): Promise<{ readonly client: Client2; readonly server: McpServer2 }> {
  const server = new McpServer2({ name: "test-server", version: "1.0.0" });
  register(server);
  const { client, close } = await connectInMemory2(server, options);
  onTestFinished(close);
  return { client, server };
}

/** A promise with the functions that settle it, for holding a call in flight. */
export type Deferred<T> = {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason?: unknown): void;
};

/**
 * A promise the test settles from outside.
 *
 * @example
 * ```ts
 * const started = deferred();
 * server.registerTool("slow", {}, async () => { started.resolve(); … });
 * await started.promise;
 * ```
 */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((settle, fail) => {
    resolve = settle;
    reject = fail;
  });
  return { promise, resolve, reject };
}
