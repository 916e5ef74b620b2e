/**
 * An abort signal made only when something reads it. Creating an
 * AbortController and the first read of its `signal` are the most expensive
 * steps of a fast call on Node 20 (several µs, more than the rest of the
 * call), and most handlers never read the signal, so a call's own signal is
 * one of these: `abort()` before the first read is remembered, and the signal
 * comes out already aborted.
 *
 * @example
 * ```ts
 * const own = new LazySignal();
 * const pending = work({ get signal() { return own.signal; } });
 * // at the deadline:
 * own.abort(new TimeoutError());
 * ```
 */
export class LazySignal {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  #onFirstRead: (() => void) | undefined;

  /** @param onFirstRead called once, when the signal is first read (after it is made) */
  constructor(onFirstRead?: () => void) {
    this.#onFirstRead = onFirstRead;
  }

  /** The signal, made now if nothing has read it yet. */
  get signal(): AbortSignal {
    let controller = this.#controller;
    if (controller === undefined) {
      controller = new AbortController();
      this.#controller = controller;
      if (this.#aborted) controller.abort(this.#reason);
      const onFirstRead = this.#onFirstRead;
      if (onFirstRead !== undefined) {
        this.#onFirstRead = undefined;
        onFirstRead();
      }
    }
    return controller.signal;
  }

  /** Whether the signal has been read (and so made). */
  get isRead(): boolean {
    return this.#controller !== undefined;
  }

  /** Whether `abort()` has been called. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Aborts the signal with `reason`, now or when it is first read; only the first call counts. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }

  /** Throws the abort reason once `abort()` has been called. */
  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason;
  }
}
