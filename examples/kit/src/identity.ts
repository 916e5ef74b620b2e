import type { IncomingMessage } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";

/**
 * Headers that carry a caller's identity, verified by the gateway, to a
 * backend. A backend trusts them only because nothing but the gateway can
 * reach it (the NetworkPolicy in deploy/k8s); exposed directly, a backend must
 * verify tokens itself instead. Values are percent-encoded (`@mcp-prod/gateway`
 * sends them so), so identities in any script survive HTTP's Latin-1 headers.
 */
export const IDENTITY_HEADERS = {
  clientId: "x-mcp-client-id",
  scopes: "x-mcp-scopes",
  subject: "x-mcp-subject",
} as const;

/** The identity the gateway forwarded, as the SDK's `AuthInfo` (`extra.authInfo` in tool handlers). */
export function identityFromHeaders(req: IncomingMessage): AuthInfo | undefined {
  const clientId = decoded(req.headers[IDENTITY_HEADERS.clientId]);
  if (clientId === undefined || clientId === "") return undefined;
  const scopes = req.headers[IDENTITY_HEADERS.scopes];
  const subject = decoded(req.headers[IDENTITY_HEADERS.subject]);
  return {
    token: "",
    clientId,
    scopes:
      typeof scopes === "string"
        ? scopes
            .split(" ")
            .filter(Boolean)
            .map((scope) => decoded(scope) ?? "")
        : [],
    extra: { via: "gateway", ...(typeof subject === "string" ? { subject } : {}) },
  };
}

/** A percent-encoded header value, decoded; undefined when absent or not valid percent-encoding. */
function decoded(value: string | string[] | undefined): string | undefined {
  if (typeof value !== "string") return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
