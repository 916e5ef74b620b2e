/** Where a wrapper's own signal for one call comes from: read only when the handler reads it. */
export type SignalSource = { readonly signal: AbortSignal };

/**
 * A copy of a tool call's parameters whose request signal is `source.signal`:
 * at `extra.signal` (SDK 1.x) and `ctx.mcpReq.signal` (SDK 2.x), and at
 * `extra.signal` when the call carried neither. The arguments and every other
 * field pass through unchanged and the caller's objects are not modified.
 * `source.signal` is read only when the handler reads the signal, since
 * creating a controller and the first read of its signal are the most
 * expensive steps of a call with a deadline.
 *
 * @example
 * ```ts
 * // `attempt.signal` is a getter that creates the attempt's controller on first read.
 * return handler(...withToolSignal(params, attempt));
 * ```
 */
export function withToolSignal(
  params: ReadonlyArray<unknown>,
  source: SignalSource,
): ReadonlyArray<unknown> {
  const last = params.length - 1;
  const extra = params[last];
  if (!isRecord(extra)) return params;
  const next = params.slice();
  const request = extra.mcpReq;
  if (isRecord(request)) {
    const mcpReq = new SignalContext(request, source, undefined);
    next[last] =
      "signal" in extra ? new SignalContext(extra, source, mcpReq) : { ...extra, mcpReq };
  } else {
    next[last] = new SignalContext(extra, source, undefined);
  }
  return next;
}

/**
 * A copy of a context object whose `signal` is a prototype getter. An own
 * accessor (`{ ...extra, get signal() {} }` or `Object.defineProperty`) puts
 * each copy in V8's slow mode and costs several µs per call; a class getter
 * keeps the copy a fast object. Being on the prototype, `signal` is left out
 * of `Object.keys` and spreads of the copy: read it by name.
 */
class SignalContext {
  readonly #source: SignalSource;

  constructor(
    source: Record<string, unknown>,
    signalSource: SignalSource,
    mcpReq: SignalContext | undefined,
  ) {
    this.#source = signalSource;
    const target = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(source)) if (key !== "signal") target[key] = source[key];
    if (mcpReq !== undefined) target.mcpReq = mcpReq;
  }

  get signal(): AbortSignal {
    return this.#source.signal;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
