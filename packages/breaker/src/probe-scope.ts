import { AsyncLocalStorage } from "node:async_hooks";

/** The half-open probes running in this async context, innermost first. */
type ProbeScope = { readonly breaker: object; readonly outer: ProbeScope | undefined };
/** Entered only by probe calls (rare), read only when a call is refused for want of a probe slot. */
const probeScopes = new AsyncLocalStorage<ProbeScope>();

/** Runs `fn(...args)` as a half-open probe of `breaker`, seen by `insideProbeOf` in everything it starts. */
export function runAsProbeOf<Args extends unknown[], R>(
  breaker: object,
  fn: (...args: Args) => R,
  ...args: Args
): R {
  return probeScopes.run({ breaker, outer: probeScopes.getStore() }, fn, ...args);
}

/** Whether this async context runs inside a probe of `breaker`: a call it makes would wait for itself. */
export function insideProbeOf(breaker: object): boolean {
  for (let scope = probeScopes.getStore(); scope !== undefined; scope = scope.outer)
    if (scope.breaker === breaker) return true;
  return false;
}
