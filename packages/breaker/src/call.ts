import { type DeadlineEntry, LazySignal, noop, onAbort } from "@mcp-prod/internal";

/** What the breaker hands an abortable action or an `execute` function. */
export type BreakerCall = {
  /**
   * This call's own signal: aborted by this call's timeout (with a
   * `BreakerTimeoutError`) or by the caller's signal, never by another call.
   * It is created on first read, so an action that never reads it pays nothing.
   */
  readonly signal: AbortSignal;
};

/** What a call does when its caller's signal aborts while the action is listening. */
export type CancelHandler = (call: Call) => void;

/** The half-open state a probe was admitted under; compared by identity. */
export type HalfOpenState = { readonly kind: "halfOpen"; probes: number };

/**
 * One call through a breaker (or `withTimeout`): its deadline entry, its lazy
 * signal, how it settles. Nothing listens to the caller's signal until the
 * action reads `signal`: adding and removing an abort listener costs more than
 * the rest of a call, and an action that never reads the signal could not stop
 * early anyway. Such a call settles when its action does, and is then treated
 * as cancelled if the caller's signal has aborted meanwhile.
 */
export class Call extends LazySignal implements BreakerCall, DeadlineEntry {
  deadline = 0;
  previous: DeadlineEntry | undefined = undefined;
  next: DeadlineEntry | undefined = undefined;
  settled = false;
  start = 0;
  resolve: (value: unknown) => void = noop;
  reject: (error: unknown) => void = noop;
  removeAbortListener: () => void = noop;
  readonly probeOf: HalfOpenState | undefined;
  readonly callerSignal: AbortSignal | undefined;
  readonly isFailure: ((value: unknown) => boolean | "excused") | undefined;
  readonly #hasDeadline: boolean;
  readonly #cancel: CancelHandler;

  constructor(
    probeOf: HalfOpenState | undefined,
    callerSignal: AbortSignal | undefined,
    isFailure: ((value: unknown) => boolean | "excused") | undefined,
    hasDeadline: boolean,
    cancel: CancelHandler,
  ) {
    super();
    this.#cancel = cancel;
    this.probeOf = probeOf;
    this.callerSignal = callerSignal;
    this.isFailure = isFailure;
    this.#hasDeadline = hasDeadline;
  }

  override get signal(): AbortSignal {
    if (this.isRead) return super.signal;
    const callerSignal = this.callerSignal;
    // Without a deadline only the caller can abort the call: its signal is enough.
    if (!this.#hasDeadline && callerSignal) {
      this.#listen(callerSignal);
      return callerSignal;
    }
    const signal = super.signal;
    if (callerSignal) this.#listen(callerSignal);
    return signal;
  }

  #listen(callerSignal: AbortSignal): void {
    if (this.settled || this.removeAbortListener !== noop) return;
    this.removeAbortListener = onAbort(callerSignal, () => this.#cancel(this));
  }
}

/** Runs an `execute` function, handed as the payload, with its call. */
export function invokeFunction(call: Call, fn: unknown): unknown {
  return (fn as (call: BreakerCall) => unknown)(call);
}

/** A promise or any other thenable the action returned. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** A classifier's verdict (`isFailure`, `errorFilter`); one that throws must not leave the call unsettled: "no". */
export function verdictOf(
  check: (value: unknown) => boolean | "excused",
  value: unknown,
): boolean | "excused" {
  try {
    const verdict = check(value);
    return verdict === "excused" ? verdict : verdict === true;
  } catch {
    return false;
  }
}
