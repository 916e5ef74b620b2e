import { abortReason, noop, onAbort } from "./abort.ts";
import { LazySignal } from "./lazy-signal.ts";

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
  /**
   * Whether the timer is `unref()`'d, so that a deadline never holds the
   * process open on its own. False where the deadline itself must answer
   * (a fallback after a hung primary).
   * @default true
   */
  readonly unref?: boolean;
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
  if (typeof work !== "function") return race(work, timeoutMs, options, false);
  return race((own) => work(own.signal), timeoutMs, options, false);
}

/**
 * {@link withDeadline} for work that may never read its signal: `work` gets
 * a {@link LazySignal}, and the caller's `signal` is linked to it only when
 * the work first reads it (a listener per call costs more than the rest of a
 * deadline). Until then, a caller's abort does not end the wait: the caller
 * checks its own signal once the work settles.
 *
 * @example
 * ```ts
 * const value = await withLazyDeadline((own) => attempt({ get signal() { return own.signal; } }), 3000, {
 *   signal,
 *   onTimeout: () => new FallbackTimeoutError(3000),
 * });
 * if (signal?.aborted) throw signal.reason;
 * ```
 */
export function withLazyDeadline<T>(
  work: (own: LazySignal) => T | PromiseLike<T>,
  timeoutMs: number,
  options: WithDeadlineOptions,
): Promise<T> {
  return race(work, timeoutMs, options, true);
}

/**
 * The one race of work against a timer and the caller's signal. Work given as
 * a function gets a {@link LazySignal} of its own, aborted with the reason the
 * caller stopped waiting; with `linkOnRead` the caller's signal is linked only
 * when the work first reads that signal, else at once.
 */
function race<T>(
  work: PromiseLike<T> | ((own: LazySignal) => T | PromiseLike<T>),
  timeoutMs: number,
  options: WithDeadlineOptions,
  linkOnRead: boolean,
): Promise<T> {
  const { signal, onTimeout, onGiveUp, unref = true } = options;
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
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let removeAbort = noop;
    let pending: PromiseLike<T> | undefined;
    let own: LazySignal | undefined;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      removeAbort();
      return true;
    };
    const giveUp = (reason: unknown): void => {
      if (!finish()) return;
      if (pending !== undefined) Promise.resolve(pending).catch(noop);
      own?.abort(reason);
      onGiveUp?.(reason);
      reject(reason);
    };
    const link = (): void => {
      if (settled || signal === undefined) return;
      removeAbort = onAbort(signal, () => giveUp(abortReason(signal)));
    };
    if (!linkOnRead) link();
    if (timed) {
      timer = setTimeout(() => giveUp(onTimeout()), timeoutMs);
      if (unref) timer.unref();
    }
    if (typeof work === "function") {
      own = new LazySignal(linkOnRead ? link : undefined);
      try {
        pending = Promise.resolve(work(own));
      } catch (error) {
        if (finish()) reject(error);
        return;
      }
    } else pending = work;
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
