import { abortReason, noop, onAbort } from "./abort.ts";
import { LazySignal } from "./lazy-signal.ts";

/** Options of {@link withDeadline}. */
export type WithDeadlineOptions<T = unknown> = {
  /** Stops waiting with the signal's reason when it aborts. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The error to reject with once `timeoutMs` has passed.
   * @default a `DOMException` named `"TimeoutError"`, like `AbortSignal.timeout()`'s
   */
  readonly onTimeout?: () => unknown;
  /**
   * A soft deadline: asked first when `timeoutMs` passes. When it returns
   * `{ value }` the deadline resolves with that value and leaves the work
   * running (its signal is not aborted and `onGiveUp` is not called), as a
   * cache answers with a stale value and lets the refresh finish; when it
   * returns `undefined` the deadline is hard as usual.
   */
  readonly softTimeout?: () => { readonly value: T } | undefined;
  /**
   * With progress resets (the work calls `progress()`), the most the whole
   * wait may last from its start, however often it progresses.
   * @default no bound
   */
  readonly maxTotalMs?: number | undefined;
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
 * Restarts the deadline: the work made progress (a progress notification,
 * a chunk of a stream), so it gets `timeoutMs` again, within `maxTotalMs`.
 */
export type Progress = () => void;

/**
 * Settles with `work`, or rejects with `onTimeout()` once `timeoutMs` has
 * passed, or with the signal's reason once it aborts, whichever comes first.
 * Given a function, it is called with a signal of its own that aborts with the
 * same reason, so the work can stop, and with `progress`, which restarts the
 * deadline (bounded by `maxTotalMs`). With `softTimeout`, the deadline may
 * answer with a value instead and leave the work running. The timer is
 * cleared and the abort listener removed however it ends; a late failure of
 * abandoned work is swallowed. A `timeoutMs` of 0 (or less, or not finite)
 * means no timeout. The timer is `unref()`'d: the work's own I/O holds the
 * process open.
 *
 * @example
 * ```ts
 * const rows = await withDeadline((signal) => fetchRows(signal), 2000, {
 *   signal,
 *   onTimeout: () => new QueryTimeoutError(2000),
 * });
 * // A wait that ends early on an event, and resolves at the deadline:
 * await withDeadline(written, pollMs, { signal, softTimeout: () => ({ value: undefined }) });
 * // A call whose deadline restarts with each progress notification:
 * await withDeadline((signal, progress) => callTool({ signal, onprogress: progress }), 10_000, {
 *   maxTotalMs: 60_000,
 * });
 * ```
 */
export function withDeadline<T>(
  work: PromiseLike<T> | ((signal: AbortSignal, progress: Progress) => T | PromiseLike<T>),
  timeoutMs: number,
  options: WithDeadlineOptions<T> = {},
): Promise<T> {
  if (typeof work !== "function") return race(work, timeoutMs, options, false);
  return race((own, progress) => work(own.signal, progress), timeoutMs, options, false);
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
  work: (own: LazySignal, progress: Progress) => T | PromiseLike<T>,
  timeoutMs: number,
  options: WithDeadlineOptions<T> = {},
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
  work: PromiseLike<T> | ((own: LazySignal, progress: Progress) => T | PromiseLike<T>),
  timeoutMs: number,
  options: WithDeadlineOptions<T>,
  linkOnRead: boolean,
): Promise<T> {
  const {
    signal,
    onTimeout = timeoutError,
    softTimeout,
    maxTotalMs,
    onGiveUp,
    unref = true,
  } = options;
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
    const expire = (): void => {
      const soft = softTimeout?.();
      if (soft === undefined) giveUp(onTimeout());
      else if (finish()) resolve(soft.value);
    };
    const arm = (ms: number): void => {
      timer = setTimeout(expire, ms);
      if (unref) timer.unref();
    };
    let progress: Progress = noop;
    if (timed) {
      arm(maxTotalMs === undefined ? timeoutMs : Math.min(timeoutMs, maxTotalMs));
      if (typeof work === "function") {
        const endsAt =
          maxTotalMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + maxTotalMs;
        progress = () => {
          if (settled) return;
          clearTimeout(timer);
          arm(Math.max(0, Math.min(timeoutMs, endsAt - Date.now())));
        };
      }
    }
    if (typeof work === "function") {
      own = new LazySignal(linkOnRead ? link : undefined);
      try {
        pending = Promise.resolve(work(own, progress));
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

function timeoutError(): DOMException {
  return new DOMException("The operation timed out", "TimeoutError");
}
