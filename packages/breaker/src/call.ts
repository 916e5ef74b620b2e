import type { DeadlineEntry } from "./deadlines.ts";

/** What the breaker hands an abortable action or an `execute` function. */
export type BreakerCall = {
  /**
   * This call's own signal: aborted by this call's timeout (with a
   * `BreakerTimeoutError`) or by the caller's signal, never by another call.
   * It is created on first read, so an action that never reads it pays nothing.
   */
  readonly signal: AbortSignal;
};

/** The half-open state a probe was admitted under; compared by identity. */
export type HalfOpenState = { readonly kind: "halfOpen"; probes: number };

/** One call through a breaker: its deadline entry, its lazy signal, how it settles. */
export class Call implements BreakerCall, DeadlineEntry {
  deadline = 0;
  settled = false;
  start = 0;
  resolve: (value: unknown) => void = noop;
  reject: (error: unknown) => void = noop;
  removeAbortListener: () => void = noop;
  readonly probeOf: HalfOpenState | undefined;
  readonly callerSignal: AbortSignal | undefined;
  readonly isFailure: ((value: unknown) => boolean) | undefined;
  readonly #hasDeadline: boolean;
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  constructor(
    probeOf: HalfOpenState | undefined,
    callerSignal: AbortSignal | undefined,
    isFailure: ((value: unknown) => boolean) | undefined,
    hasDeadline: boolean,
  ) {
    this.probeOf = probeOf;
    this.callerSignal = callerSignal;
    this.isFailure = isFailure;
    this.#hasDeadline = hasDeadline;
  }

  get signal(): AbortSignal {
    if (this.#controller) return this.#controller.signal;
    // Without a deadline only the caller can abort the call: its signal is enough.
    if (!this.#hasDeadline && this.callerSignal) return this.callerSignal;
    this.#controller = new AbortController();
    if (this.#aborted) this.#controller.abort(this.#reason);
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

function noop(): void {}
