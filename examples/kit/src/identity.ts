import type { IncomingMessage } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";

/**
 * Headers that carry a caller's identity, verified by the gateway, to a
 * backend. A backend trusts them only because nothing but the gateway can
 * reach it (the NetworkPolicy in deploy/k8s); exposed directly, a backend must
 * verify tokens itself instead.
 */
export const IDENTITY_HEADERS = {
  clientId: "x-mcp-client-id",
  scopes: "x-mcp-scopes",
  subject: "x-mcp-subject",
} as const;

/** The identity the gateway forwarded, as the SDK's `AuthInfo` (`extra.authInfo` in tool handlers). */
export function identityFromHeaders(req: IncomingMessage): AuthInfo | undefined {
  const clientId = req.headers[IDENTITY_HEADERS.clientId];
  if (typeof clientId !== "string" || clientId === "") return undefined;
  const scopes = req.headers[IDENTITY_HEADERS.scopes];
  const subject = req.headers[IDENTITY_HEADERS.subject];
  return {
    token: "",
    clientId,
    scopes: typeof scopes === "string" ? scopes.split(" ").filter(Boolean) : [],
    extra: { via: "gateway", ...(typeof subject === "string" ? { subject } : {}) },
  };
}

/** The headers to send for `auth` (the gateway's side of the above). */
export function identityHeaders(auth: AuthInfo): Record<string, string> {
  const headers: Record<string, string> = {
    [IDENTITY_HEADERS.clientId]: auth.clientId,
    [IDENTITY_HEADERS.scopes]: auth.scopes.join(" "),
  };
  const subject = auth.extra?.subject;
  if (typeof subject === "string") headers[IDENTITY_HEADERS.subject] = subject;
  return headers;
}
