import { abortReason, assertFunction, backoffDelay, delay } from "@mcp-prod/internal";
import { RetryError } from "./errors.ts";
import { type RetryOptions, readSettings, type Settings } from "./options.ts";
import { retryAfterOf } from "./transient.ts";

/** What `fn` is given on each attempt. */
export type RetryContext = {
  /** The caller's `signal` (a signal that never aborts when none was given): pass it on. */
  readonly signal: AbortSignal;
  /** This attempt's number: 1 for the first. */
  readonly attempt: number;
};

/** Never aborts: handed to `fn` when the caller gave no signal, so `fn` can always pass one on. */
const NEVER_ABORTED = new AbortController().signal;
const FIRST_ATTEMPT: RetryContext = Object.freeze({ signal: NEVER_ABORTED, attempt: 1 });

/**
 * Calls `fn`, and again after a growing, jittered wait while it fails with an
 * error worth retrying, up to `attempts` tries in all. Resolves with the
 * first success. Rejects with a {@link RetryError} when every attempt failed
 * (`ERETRYEXHAUSTED`) or the budget refused a retry (`ERETRYBUDGET`), with
 * the error itself when `retryOn` declines it or it asks for a wait longer
 * than `maxDelayMs`, and with the signal's reason, at once, when `signal`
 * aborts.
 *
 * A wait the error carries is honoured: `retryAfterMs` (an open breaker, a
 * rate limit refusal) or an HTTP `Retry-After`.
 *
 * @example
 * ```ts
 * import { retry } from "@mcp-prod/retry";
 *
 * const response = await retry(
 *   ({ signal }) => fetch("https://api.example.com/forecast/oslo", { signal }),
 *   { attempts: 4, minDelayMs: 200, signal: AbortSignal.timeout(10_000) },
 * );
 * ```
 */
export function retry<T>(
  fn: (context: RetryContext) => T | PromiseLike<T>,
  options?: RetryOptions,
): Promise<Awaited<T>> {
  if (typeof fn !== "function") assertFunction(fn, "fn");
  const settings = readSettings(options, "retry()");
  return runRetry(fn, settings, settings.signal);
}

/** {@link retry} with settings already checked (by `withRetry`, once) and the call's signal. */
export function runRetry<T>(
  fn: (context: RetryContext) => T | PromiseLike<T>,
  settings: Settings,
  signal: AbortSignal | undefined,
): Promise<Awaited<T>> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  settings.budget?.recordCall();
  let first: T | PromiseLike<T>;
  try {
    first = fn(signal === undefined ? FIRST_ATTEMPT : { signal, attempt: 1 });
  } catch (error) {
    return retryAfter(fn, settings, signal, error);
  }
  if (!isThenable(first)) return Promise.resolve(first as Awaited<T>);
  return (Promise.resolve(first) as Promise<Awaited<T>>).then(undefined, (error: unknown) =>
    retryAfter(fn, settings, signal, error),
  );
}

/** The retries, once the first attempt has failed with `firstError`. */
async function retryAfter<T>(
  fn: (context: RetryContext) => T | PromiseLike<T>,
  settings: Settings,
  signal: AbortSignal | undefined,
  firstError: unknown,
): Promise<Awaited<T>> {
  const { attempts, minDelayMs, maxDelayMs, retryOn, onRetry, budget } = settings;
  const errors: unknown[] = [firstError];
  let previousDelayMs = minDelayMs;
  for (let attempt = 1; ; attempt++) {
    const error = errors[errors.length - 1];
    // The caller's cancellation is never retried, whatever the attempt threw.
    if (signal?.aborted) throw abortReason(signal);
    if (!retryOn(error, attempt)) throw error;
    if (attempt >= attempts) throw new RetryError("ERETRYEXHAUSTED", errors);
    let delayMs = backoffDelay(attempt, settings, previousDelayMs);
    previousDelayMs = delayMs;
    const askedMs = retryAfterOf(error);
    if (askedMs !== undefined) {
      if (askedMs > maxDelayMs) throw error;
      delayMs = Math.max(delayMs, askedMs);
    }
    if (budget !== undefined && !budget.tryRetry()) throw new RetryError("ERETRYBUDGET", errors);
    onRetry?.({ error, attempt, delayMs });
    await delay(delayMs, signal);
    try {
      return await fn({ signal: signal ?? NEVER_ABORTED, attempt: attempt + 1 });
    } catch (next) {
      errors.push(next);
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
