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
 * A copy of a context object whose `signal` is an own enumerable accessor, so
 * `{ ...extra }` and `Object.keys(extra)` see it like any other field. Every
 * copy shares one accessor (which reads the private source): a getter
 * closure per call would give each copy its own hidden class and cost about a
 * microsecond more per call. `signal` comes first, where SDK 1.x puts it.
 */
class SignalContext {
  static readonly #signal: PropertyDescriptor = {
    enumerable: true,
    configurable: true,
    get(this: SignalContext): AbortSignal {
      return this.#source.signal;
    },
  };

  readonly #source: SignalSource;

  constructor(
    source: Record<string, unknown>,
    signalSource: SignalSource,
    mcpReq: SignalContext | undefined,
  ) {
    this.#source = signalSource;
    Object.defineProperty(this, "signal", SignalContext.#signal);
    const target = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(source)) if (key !== "signal") target[key] = source[key];
    if (mcpReq !== undefined) target.mcpReq = mcpReq;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
