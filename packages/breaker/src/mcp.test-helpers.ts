import {
  Client as Client2,
  InMemoryTransport as ClientTransport2,
} from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { McpServer as McpServer2 } from "@modelcontextprotocol/server";

type Endpoint<T> = { connect(transport: T): Promise<void>; close(): Promise<void> };
type Connection<C> = { client: C; close: () => Promise<void> };

async function link<T, C extends Endpoint<T>>(
  server: Endpoint<T>,
  client: C,
  [clientEnd, serverEnd]: [T, T],
): Promise<Connection<C>> {
  await Promise.all([server.connect(serverEnd), client.connect(clientEnd)]);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** A real SDK 1.x client connected to `server` in memory; `close()` closes both ends. */
export function connect(server: McpServer): Promise<Connection<Client>> {
  return link(
    server,
    new Client({ name: "test-client", version: "1.0.0" }),
    InMemoryTransport.createLinkedPair(),
  );
}

/** The same with the 2.x packages. */
export function connect2(server: McpServer2): Promise<Connection<Client2>> {
  return link(
    server,
    new Client2({ name: "test-client", version: "1.0.0" }),
    ClientTransport2.createLinkedPair(),
  );
}

/** The text of a tool result's first content block. */
export function textOf(result: unknown): string | undefined {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content;
  return content?.[0]?.text;
}
