import { AsyncLocalStorage } from "node:async_hooks";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { McpError, type RequestId } from "@modelcontextprotocol/sdk/types.js";

/**
 * The client-facing request a backend call is made for. Requests and
 * notifications a backend sends while answering it (sampling, elicitation,
 * roots, logging) are relayed on that request's stream.
 */
export type RelayContext = { readonly server: Server; readonly requestId: RequestId };

/** Set around every forwarded call; read by the relays of the backend connection. */
export const relayContext = new AsyncLocalStorage<RelayContext>();

/**
 * A backend's JSON-RPC error, re-raised to the client with the backend's
 * own code, message and data.
 */
export class ForwardedError extends Error {
  override readonly name = "ForwardedError";
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data: unknown) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

/** The SDK prefixes the message it received; the client gets the backend's own. */
export function forwardedError(error: McpError): ForwardedError {
  const prefix = `MCP error ${error.code}: `;
  const message = error.message.startsWith(prefix)
    ? error.message.slice(prefix.length)
    : error.message;
  return new ForwardedError(error.code, message, error.data);
}

/** The deepest nesting of a JSON value, stopping once past `limit`. */
export function depthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (typeof item !== "object" || item === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

export { McpError };
