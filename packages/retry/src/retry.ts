import {
  abortReason,
  assertFunction,
  assertKnownKeys,
  assertNonNegativeNumber,
  assertOneOf,
  assertOptions,
  assertPositiveInteger,
  backoffDelay,
  delay,
  JITTERS,
  type Jitter,
} from "@mcp-prod/internal";
import type { RetryBudget } from "./budget.ts";
import { RetryError } from "./errors.ts";
import { isRetryable, retryAfterOf } from "./transient.ts";

/** What `fn` is given on each attempt. */
export type RetryContext = {
  /** The caller's `signal` (a signal that never aborts when none was given): pass it on. */
  readonly signal: AbortSignal;
  /** This attempt's number: 1 for the first. */
  readonly attempt: number;
};

/** What `onRetry` is told before each wait. */
export type RetryInfo = {
  /** The error of the attempt that failed. */
  readonly error: unknown;
  /** The number of the attempt that failed: 1 for the first. */
  readonly attempt: number;
  /** How long the wait before the next attempt is, in ms. */
  readonly delayMs: number;
};

/** Options of {@link retry}. */
export type RetryOptions = {
  /**
   * Total tries, the first included: `3` is one call and up to two retries.
   * @default 3
   */
  readonly attempts?: number;
  /**
   * The shortest wait before a retry, in ms, and the base the wait grows from.
   * @default 100
   */
  readonly minDelayMs?: number;
  /**
   * The longest wait before a retry, in ms. An error asking for a longer wait
   * (`retryAfterMs`, `Retry-After`) is not retried: it is thrown at once.
   * @default 10000
   */
  readonly maxDelayMs?: number;
  /**
   * How the wait grows and spreads; see {@link Jitter}.
   * @default "decorrelated"
   */
  readonly jitter?: Jitter;
  /**
   * Whether an attempt's error is worth another try. A caller's cancellation
   * never gets here: it ends the call at once.
   * @default isRetryable: errors marked transient, the toolkit's refusals and timeouts, network errors, timeouts and HTTP 408/425/429/5xx gateway statuses; never a validation error
   */
  readonly retryOn?: (error: unknown, attempt: number) => boolean;
  /**
   * Cancels the call: a wait in progress ends at once and the call rejects
   * with the signal's reason. Handed to `fn` as `signal`.
   * @default undefined
   */
  readonly signal?: AbortSignal | undefined;
  /**
   * Called before each wait, for logs and metrics; a listener that throws
   * fails the call with that error.
   * @default undefined
   */
  readonly onRetry?: (info: RetryInfo) => void;
  /**
   * A retry budget shared by the callers of one upstream
   * ({@link createRetryBudget}); a retry it refuses ends the call with a
   * `RetryError` (`ERETRYBUDGET`).
   * @default undefined (no budget)
   */
  readonly budget?: RetryBudget | undefined;
  /**
   * The source of jitter, a function returning numbers in [0, 1): pass a
   * seeded one to replay a test.
   * @default Math.random
   */
  readonly random?: () => number;
};

export type Settings = {
  readonly attempts: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: Jitter;
  readonly retryOn: (error: unknown, attempt: number) => boolean;
  readonly signal: AbortSignal | undefined;
  readonly onRetry: ((info: RetryInfo) => void) | undefined;
  readonly budget: RetryBudget | undefined;
  readonly random: () => number;
};

export const RETRY_KEYS = [
  "attempts",
  "minDelayMs",
  "maxDelayMs",
  "jitter",
  "retryOn",
  "signal",
  "onRetry",
  "budget",
  "random",
] as const;
const KNOWN_KEYS: ReadonlySet<string> = new Set(RETRY_KEYS);

/** Where the options of cockatiel, p-retry, Polly and resilience4j live here. */
export const RETRY_FOREIGN_KEYS = {
  maxAttempts: "use `attempts` (total tries, the first included)",
  MaxRetryAttempts: "use `attempts` (total tries: retries + 1)",
  retries: "use `attempts` (total tries: retries + 1)",
  maxRetries: "use `attempts` (total tries: retries + 1)",
  minTimeout: "use `minDelayMs`",
  maxTimeout: "use `maxDelayMs`",
  initialDelay: "use `minDelayMs`",
  Delay: "use `minDelayMs`",
  waitDuration: "use `minDelayMs`",
  maxDelay: "use `maxDelayMs`",
  MaxDelay: "use `maxDelayMs`",
  factor: "no counterpart: the wait grows as `jitter` says (decorrelated by default)",
  exponent: "no counterpart: the wait grows as `jitter` says (decorrelated by default)",
  randomize: "use `jitter`",
  UseJitter: "use `jitter`",
  BackoffType: "use `jitter`",
  backoff: "use `jitter`",
  shouldRetry: "use `retryOn`",
  retryIf: "use `retryOn`",
  ShouldHandle: "use `retryOn`",
  retryExceptions: "use `retryOn`",
  onFailedAttempt: "use `onRetry`",
  OnRetry: "use `onRetry`",
  unref: "no counterpart: a wait keeps the process alive, and `signal` ends it",
} as const;

/** Never aborts: handed to `fn` when the caller gave no signal, so `fn` can always pass one on. */
const NEVER_ABORTED = new AbortController().signal;
const FIRST_ATTEMPT: RetryContext = Object.freeze({ signal: NEVER_ABORTED, attempt: 1 });

const DEFAULTS: Settings = {
  attempts: 3,
  minDelayMs: 100,
  maxDelayMs: 10_000,
  jitter: "decorrelated",
  retryOn: isRetryable,
  signal: undefined,
  onRetry: undefined,
  budget: undefined,
  random: Math.random,
};

export function readSettings(options: RetryOptions | undefined, where: string): Settings {
  if (options === undefined) return DEFAULTS;
  assertOptions(options);
  // A for…in over a literal is cheap; the full check (with its message) runs only on a miss.
  for (const key in options)
    if (!KNOWN_KEYS.has(key)) assertKnownKeys(options, KNOWN_KEYS, where, RETRY_FOREIGN_KEYS);
  const {
    attempts = 3,
    minDelayMs = 100,
    maxDelayMs = Math.max(10_000, minDelayMs),
    jitter = "decorrelated",
    retryOn = isRetryable,
    signal,
    onRetry,
    budget,
    random = Math.random,
  } = options;
  assertPositiveInteger(attempts, "attempts");
  assertNonNegativeNumber(minDelayMs, "minDelayMs");
  assertNonNegativeNumber(maxDelayMs, "maxDelayMs");
  if (maxDelayMs < minDelayMs)
    throw new TypeError(
      `Expected \`maxDelayMs\` to be at least \`minDelayMs\` (${minDelayMs}), got ${maxDelayMs}`,
    );
  if (jitter !== "decorrelated") assertOneOf(jitter, "jitter", JITTERS);
  if (retryOn !== isRetryable) assertFunction(retryOn, "retryOn");
  assertFunction(onRetry, "onRetry", true);
  if (random !== Math.random) assertFunction(random, "random");
  if (signal !== undefined && !isSignal(signal))
    throw new TypeError("Expected `signal` to be an AbortSignal");
  if (budget !== undefined && typeof (budget as { tryRetry?: unknown }).tryRetry !== "function")
    throw new TypeError("Expected `budget` to be a retry budget from createRetryBudget()");
  return { attempts, minDelayMs, maxDelayMs, jitter, retryOn, signal, onRetry, budget, random };
}

function isSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === "object" && value !== null && "aborted" in value && "addEventListener" in value
  );
}

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
