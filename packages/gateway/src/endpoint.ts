import { Agent, type IncomingMessage, type OutgoingHttpHeaders, request } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { identityHeaders } from "./identity.ts";

/**
 * Where one backend is, and the connections to it: a kept-alive pool for
 * calls (at most `maxSockets`), and a separate one for the long-lived GET
 * streams, so that held streams never take a call's socket.
 */
export class Endpoint {
  readonly label: string;
  readonly url: URL;
  readonly agent: Agent;
  readonly streams: Agent;
  readonly #secure: boolean;

  constructor(label: string, url: string, maxSockets: number) {
    this.label = label;
    this.url = new URL(url);
    this.#secure = this.url.protocol === "https:";
    const AgentClass = this.#secure ? HttpsAgent : Agent;
    this.agent = new AgentClass({ keepAlive: true, maxSockets, scheduling: "lifo" });
    this.streams = new AgentClass({ keepAlive: false });
  }

  request(options: Parameters<typeof request>[1], answer: (response: IncomingMessage) => void) {
    return (this.#secure ? httpsRequest : request)(this.url, options, answer);
  }

  close(): void {
    this.agent.destroy();
    this.streams.destroy();
  }
}

/** Who and what a request to a backend is for. */
export type Target = {
  readonly endpoint: Endpoint;
  /** The backend session, for a backend with sessions. */
  readonly sessionId?: string | undefined;
  readonly protocolVersion: string;
  /** The caller whose identity headers the backend receives. */
  readonly identity: AuthInfo | undefined;
};

const identityCache = new WeakMap<AuthInfo, Record<string, string>>();
function identityOf(identity: AuthInfo | undefined): Record<string, string> | undefined {
  if (!identity) return undefined;
  let headers = identityCache.get(identity);
  if (!headers) {
    headers = identityHeaders(identity);
    identityCache.set(identity, headers);
  }
  return headers;
}

export function headersFor(target: Target, extra: OutgoingHttpHeaders): OutgoingHttpHeaders {
  return {
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": target.protocolVersion,
    ...(target.sessionId ? { "mcp-session-id": target.sessionId } : {}),
    ...identityOf(target.identity),
    ...extra,
  };
}
