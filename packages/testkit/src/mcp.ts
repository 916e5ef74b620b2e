import {
  Client as Client2,
  InMemoryTransport as InMemoryTransport2,
} from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpServer as McpServer2 } from "@modelcontextprotocol/server";

type Endpoint = { close(): Promise<unknown> };

/**
 * Real MCP server/client pairs over in-memory transports, one per `connect`,
 * for SDK 1.x (`connect`) and 2.x (`connect2`); `closeAll()` (in `afterEach`)
 * closes every pair opened since the last call.
 *
 * @example
 * ```ts
 * const mcp = inMemoryMcp("retry-test");
 * afterEach(() => mcp.closeAll());
 * const client = await mcp.connect((server) => server.registerTool("t", {}, handler));
 * ```
 */
export function inMemoryMcp(name: string) {
  const open: Endpoint[] = [];
  return {
    async connect(register: (server: McpServer) => void): Promise<Client> {
      const server = new McpServer({ name, version: "1.0.0" });
      register(server);
      const client = new Client({ name: `${name}-client`, version: "1.0.0" });
      const [clientEnd, serverEnd] = InMemoryTransport.createLinkedPair();
      await Promise.all([server.connect(serverEnd), client.connect(clientEnd)]);
      open.push(client, server);
      return client;
    },
    async connect2(register: (server: McpServer2) => void): Promise<Client2> {
      const server = new McpServer2({ name, version: "1.0.0" });
      register(server);
      const client = new Client2({ name: `${name}-client`, version: "1.0.0" });
      const [clientEnd, serverEnd] = InMemoryTransport2.createLinkedPair();
      await Promise.all([server.connect(serverEnd), client.connect(clientEnd)]);
      open.push(client, server);
      return client;
    },
    async closeAll(): Promise<void> {
      // Clients first, as the SDK's own tests do, then their servers.
      for (const endpoint of open.splice(0)) await endpoint.close();
    },
  };
}

/** A text tool result, typed as the SDKs want it. */
export function textResult(text: string) {
  return { content: [{ type: "text" as const, text }] };
}

/** A promise and the function that settles it: holds a call in flight until the test lets it go. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}
