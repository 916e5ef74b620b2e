/** Who made the call, from the SDK's `extra` (1.x) or `ctx` (2.x); never the arguments. */
export function readIdentity(extra: Record<string, unknown> | undefined): {
  requestId: string | number | undefined;
  sessionId: string | undefined;
  clientId: string | undefined;
} {
  if (!extra) return { requestId: undefined, sessionId: undefined, clientId: undefined };
  const request = extra.mcpReq as { id?: unknown } | undefined;
  const requestId = idOf(extra.requestId) ?? idOf(request?.id);
  const sessionId = typeof extra.sessionId === "string" ? extra.sessionId : undefined;
  const auth = extra.authInfo as { clientId?: unknown } | undefined;
  const clientId = typeof auth?.clientId === "string" ? auth.clientId : undefined;
  return { requestId, sessionId, clientId };
}

function idOf(value: unknown): string | number | undefined {
  return typeof value === "string" || typeof value === "number" ? value : undefined;
}
