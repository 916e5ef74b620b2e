import { abortReason, noop, onAbort } from "./abort.ts";

/** Options of {@link withDeadline}. */
export type WithDeadlineOptions = {
  /** Stops waiting with the signal's reason when it aborts. */
  readonly signal?: AbortSignal | undefined;
  /** The error to reject with once `timeoutMs` has passed. */
  readonly onTimeout: () => unknown;
  /**
   * Learns that the caller stopped waiting (timeout or abort) while the work
   * may still run, with the reason it was given; e.g. to release what the
   * work will still return.
   */
  readonly onGiveUp?: (reason: unknown) => void;
};

/**
 * Settles with `work`, or rejects with `onTimeout()` once `timeoutMs` has
 * passed, or with the signal's reason once it aborts, whichever comes first.
 * Given a function, it is called with a signal of its own that aborts with the
 * same reason, so the work can stop. The timer is cleared and the abort
 * listener removed however it ends; a late failure of abandoned work is
 * swallowed. A `timeoutMs` of 0 (or less, or not finite) means no timeout.
 * The timer is `unref()`'d: the work's own I/O holds the process open.
 *
 * @example
 * ```ts
 * const rows = await withDeadline((signal) => fetchRows(signal), 2000, {
 *   signal,
 *   onTimeout: () => new QueryTimeoutError(2000),
 * });
 * ```
 */
export function withDeadline<T>(
  work: PromiseLike<T> | ((signal: AbortSignal) => T | PromiseLike<T>),
  timeoutMs: number,
  options: WithDeadlineOptions,
): Promise<T> {
  const { signal, onTimeout, onGiveUp } = options;
  const timed = timeoutMs > 0 && Number.isFinite(timeoutMs);
  if (typeof work !== "function") {
    // Nothing to race: the promise itself, with no closure or listener.
    if (!timed && signal === undefined) return Promise.resolve(work);
  }
  if (signal?.aborted) {
    const reason = abortReason(signal);
    if (typeof work !== "function") Promise.resolve(work).catch(noop);
    onGiveUp?.(reason);
    return Promise.reject(reason);
  }
  const controller = typeof work === "function" ? new AbortController() : undefined;
  let pending: PromiseLike<T>;
  if (controller === undefined) pending = work as PromiseLike<T>;
  else {
    try {
      pending = Promise.resolve(
        (work as (signal: AbortSignal) => T | PromiseLike<T>)(controller.signal),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let removeAbort = noop;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      removeAbort();
      return true;
    };
    const giveUp = (reason: unknown): void => {
      if (!finish()) return;
      Promise.resolve(pending).catch(noop);
      controller?.abort(reason);
      onGiveUp?.(reason);
      reject(reason);
    };
    if (timed) {
      timer = setTimeout(() => giveUp(onTimeout()), timeoutMs);
      timer.unref();
    }
    removeAbort = onAbort(signal, () => giveUp(abortReason(signal as AbortSignal)));
    pending.then(
      (value) => {
        if (finish()) resolve(value);
      },
      (error: unknown) => {
        if (finish()) reject(error);
      },
    );
  });
}
