import { createServer } from "node:net";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/** The request `_meta` key a client sends its idempotency key under. */
export const KEY_META = "mcp-prod/idempotency-key";

/** Calls `send_notification` with an idempotency key; the parsed answer, or the error thrown. */
export async function send(
  client: Client,
  args: Record<string, unknown>,
  key: string | undefined,
  options: { timeout?: number } = {},
): Promise<CallToolResult & { text: string }> {
  const result = (await client.callTool(
    { name: "send_notification", arguments: args, ...(key ? { _meta: { [KEY_META]: key } } : {}) },
    undefined,
    options,
  )) as CallToolResult;
  const text = result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
  return { ...result, text };
}

/** A port free right now on loopback: for a server that must come back on the same one. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 0;
}
