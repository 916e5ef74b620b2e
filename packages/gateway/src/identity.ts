import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";

/**
 * The headers that carry a verified caller's identity to a backend. Values are
 * percent-encoded (`encodeURIComponent`), so any Unicode identity survives
 * HTTP's Latin-1 header values; a backend decodes them with `decodeURIComponent`.
 */
export const IDENTITY_HEADERS = {
  clientId: "x-mcp-client-id",
  scopes: "x-mcp-scopes",
  subject: "x-mcp-subject",
} as const;

/**
 * The identity headers for `auth`, percent-encoded.
 *
 * @example
 * ```ts
 * identityHeaders({ token: "", clientId: "zoë", scopes: ["users"] });
 * // { "x-mcp-client-id": "zo%C3%AB", "x-mcp-scopes": "users" }
 * ```
 */
export function identityHeaders(auth: AuthInfo): Record<string, string> {
  const headers: Record<string, string> = {
    [IDENTITY_HEADERS.clientId]: encodeURIComponent(auth.clientId),
    [IDENTITY_HEADERS.scopes]: auth.scopes.map(encodeURIComponent).join(" "),
  };
  const subject = auth.extra?.subject;
  if (typeof subject === "string") headers[IDENTITY_HEADERS.subject] = encodeURIComponent(subject);
  return headers;
}
