/**
 * A copy of a tool call's parameters whose request signal is the one
 * `readSignal` returns: SDK 1.x reads it at `extra.signal`, 2.x at
 * `ctx.mcpReq.signal`. Everything else in `extra` / `ctx` is kept and the
 * caller's objects are not changed. The signal is read only when the handler
 * reads it, since the first read of a new controller's signal is the most
 * expensive step of a call with a deadline.
 */
export function withCallSignal(
  params: ReadonlyArray<unknown>,
  extra: Record<string, unknown> | undefined,
  readSignal: () => AbortSignal,
): unknown[] {
  const copy = [...params];
  if (extra === undefined) return copy;
  const next: Record<string, unknown> = { ...extra };
  const request = extra.mcpReq;
  if (typeof request === "object" && request !== null) {
    next.mcpReq = defineSignal({ ...request }, readSignal);
  }
  if ("signal" in extra || next.mcpReq === undefined) defineSignal(next, readSignal);
  copy[copy.length - 1] = next;
  return copy;
}

function defineSignal<T extends object>(target: T, readSignal: () => AbortSignal): T {
  return Object.defineProperty(target, "signal", {
    get: readSignal,
    enumerable: true,
    configurable: true,
  });
}
