import { AsyncLocalStorage } from "node:async_hooks";
import { subscribe } from "node:diagnostics_channel";

/**
 * The address of the client whose HTTP request is being served, for code that
 * runs on behalf of that request without being handed it: neither MCP SDK
 * passes the socket to a tool handler, so a stateless server without
 * authentication gives a handler nothing that tells its callers apart.
 *
 * Node publishes every request a `node:http` server accepts on the
 * `http.server.request.start` diagnostics channel, synchronously, before the
 * server's `request` listeners run. Entering the request into an
 * AsyncLocalStorage there makes it the store of everything the listener
 * starts, the SDK's transport and the tool handler included. Each request
 * enters its own, so a connection's next request never sees the previous one.
 */
const current = new AsyncLocalStorage<{ readonly socket?: { readonly remoteAddress?: string } }>();
let listening = false;

/** Starts following HTTP requests; called where a package may need the address, before requests arrive. */
export function followClientAddresses(): void {
  if (listening) return;
  listening = true;
  subscribe("http.server.request.start", (message) => {
    const request = (message as { request?: { socket?: { remoteAddress?: string } } }).request;
    if (request !== undefined) current.enterWith(request);
  });
}

/**
 * The remote address of the HTTP request this code runs for (`::1`,
 * `203.0.113.7`), or `undefined` outside a `node:http` request or before
 * {@link followClientAddresses}. Behind a reverse proxy it is the proxy's.
 *
 * @example
 * ```ts
 * followClientAddresses(); // when the wrapper is created
 * const client = clientId ?? sessionId ?? clientAddress(); // in the handler
 * ```
 */
export function clientAddress(): string | undefined {
  return current.getStore()?.socket?.remoteAddress;
}
