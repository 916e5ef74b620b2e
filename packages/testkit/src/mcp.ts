import type { Client as Client2 } from "@modelcontextprotocol/client";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { McpServer as McpServer2 } from "@modelcontextprotocol/server";
import { connectInMemory, connectInMemory2, deferred } from "./in-memory.ts";

/**
 * Real MCP server/client pairs over in-memory transports, one per `connect`,
 * for SDK 1.x (`connect`) and 2.x (`connect2`); `closeAll()` (in `afterEach`)
 * closes every pair opened since the last call. For tests that keep their
 * pairs across hooks; within one test, `serveInMemory` closes its pair when
 * the test finishes.
 *
 * @example
 * ```ts
 * const mcp = inMemoryMcp("retry-test");
 * afterEach(() => mcp.closeAll());
 * const client = await mcp.connect((server) => server.registerTool("t", {}, handler));
 * ```
 */
export function inMemoryMcp(name: string) {
  let open: Array<() => Promise<void>> = [];
  return {
    async connect(register: (server: McpServer) => void): Promise<Client> {
      const server = new McpServer({ name, version: "1.0.0" });
      register(server);
      const connection = await connectInMemory(server);
      open.push(connection.close);
      return connection.client;
    },
    async connect2(register: (server: McpServer2) => void): Promise<Client2> {
      const server = new McpServer2({ name, version: "1.0.0" });
      register(server);
      const connection = await connectInMemory2(server);
      open.push(connection.close);
      return connection.client;
    },
    async closeAll(): Promise<void> {
      const closing = open;
      open = [];
      for (const close of closing) await close();
    },
  };
}

/** A text tool result, typed as the SDKs want it. */
export function textResult(text: string) {
  return { content: [{ type: "text" as const, text }] };
}

/**
 * A promise and the function that settles it: `deferred()` under the names
 * the examples' tests use.
 */
export function gate(): { opened: Promise<void>; open: () => void } {
  const { promise, resolve } = deferred();
  return { opened: promise, open: () => resolve() };
}

/** Calls a tool and returns its result with the text parts joined. */
export async function call(
  client: Client,
  name: string,
  args?: Record<string, unknown>,
  options: { signal?: AbortSignal } = {},
): Promise<CallToolResult & { text: string }> {
  const result = (await client.callTool(
    { name, ...(args ? { arguments: args } : {}) },
    undefined,
    options,
  )) as CallToolResult;
  const text = result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
  return { ...result, text };
}
