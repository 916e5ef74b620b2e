/**
 * A copy of a tool call's parameters whose request signal is `signal`: SDK
 * 1.x reads it at `extra.signal`, 2.x at `ctx.mcpReq.signal`. Everything else
 * in `extra` / `ctx` is kept; the caller's objects are not changed.
 */
export function withCallSignal(
  params: ReadonlyArray<unknown>,
  extra: Record<string, unknown> | undefined,
  signal: AbortSignal,
): unknown[] {
  const copy = [...params];
  if (extra === undefined) return copy;
  const next: Record<string, unknown> = { ...extra };
  const request = extra.mcpReq;
  if (typeof request === "object" && request !== null) {
    next.mcpReq = { ...request, signal };
  }
  if ("signal" in extra || next.mcpReq === undefined) next.signal = signal;
  copy[copy.length - 1] = next;
  return copy;
}
