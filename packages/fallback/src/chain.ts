import {
  abortReason,
  describeValue,
  LazySignal,
  warnCallbackFailure,
  withLazyDeadline,
} from "@mcp-prod/internal";
import { FallbackError, FallbackTimeoutError } from "./errors.ts";
import type { ChainSettings } from "./options.ts";

/** What every attempt (the primary and each fallback) is called with. */
export type AttemptContext = {
  /**
   * Aborted when the caller's `signal` aborts or, for an attempt with a
   * fallback after it, when `timeoutMs` passes. Hand it to `fetch`, a driver
   * or anything else that can stop early.
   */
  readonly signal: AbortSignal;
  /** 0 for the primary, 1 for the first fallback, and so on. */
  readonly attempt: number;
  /** The error of the attempt before this one; `undefined` for the primary. */
  readonly error: unknown;
};

/** One attempt: the primary or a fallback. */
export type Attempt<T> = (context: AttemptContext) => T | PromiseLike<T>;

/** What `onFallback` learns about the fallback about to run. */
export type FallbackInfo = {
  /** The attempt about to run: 1 for the first fallback. */
  readonly attempt: number;
};

export function assertSignal(
  value: unknown,
  name: string,
): asserts value is AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return;
  throw new TypeError(`Expected \`${name}\` to be an AbortSignal, got ${describeValue(value)}`);
}

/**
 * Runs `count` attempts in turn, `invoke(index, context)` being attempt
 * `index`, until one succeeds. The one loop behind `fetchWithFallback`,
 * `fallbackChain` and `withFallback`, so they agree on cancellation, timeouts
 * and which errors reach `FallbackError`.
 */
export async function runChain<T>(
  count: number,
  invoke: (index: number, context: AttemptContext) => T | PromiseLike<T>,
  settings: ChainSettings,
  signal: AbortSignal | undefined,
): Promise<T> {
  let errors: unknown[] | undefined;
  let previous: unknown;
  for (let index = 0; ; index++) {
    // Checked before every attempt: an `onFallback` hook may have cancelled the call.
    if (signal?.aborted) throw abortReason(signal);
    const last = index === count - 1;
    const deadline = last ? undefined : settings.timeoutMs;
    try {
      const value = await runAttempt(invoke, index, previous, deadline, signal);
      // An attempt that ignored its signal may still succeed: the caller has gone.
      if (signal?.aborted) throw abortReason(signal);
      return value;
    } catch (error) {
      // A cancelled call is answered with the cancellation, never with a fallback.
      if (signal?.aborted) throw abortReason(signal);
      if (!last && settings.when !== undefined && !settings.when(error)) throw error;
      if (errors === undefined) errors = [];
      errors.push(error);
      if (last) throw new FallbackError(errors);
      if (settings.onFallback !== undefined) report(settings.onFallback, error, index + 1);
      previous = error;
    }
  }
}

function runAttempt<T>(
  invoke: (index: number, context: AttemptContext) => T | PromiseLike<T>,
  index: number,
  previous: unknown,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (timeoutMs === undefined) {
    return call(invoke, index, new Context(index, previous, signal, undefined));
  }
  // The attempt settles at its deadline, not when (or whether) the work
  // honours the aborted signal, so a hung primary cannot hold up the fallback.
  // The caller's signal is linked only once the attempt reads its own: an
  // attempt that never reads it could not stop early anyway. runChain still
  // rejects with the caller's reason once the attempt settles. The timer keeps
  // the process alive: the fallback must answer even when nothing else runs.
  return withLazyDeadline(
    (own) => call(invoke, index, new Context(index, previous, undefined, own)),
    timeoutMs,
    { signal, onTimeout: () => new FallbackTimeoutError(timeoutMs), unref: false },
  );
}

function call<T>(
  invoke: (index: number, context: AttemptContext) => T | PromiseLike<T>,
  index: number,
  context: AttemptContext,
): Promise<T> {
  try {
    return Promise.resolve(invoke(index, context));
  } catch (error) {
    return Promise.reject(error);
  }
}

function report(
  onFallback: (error: unknown, info: FallbackInfo) => void,
  error: unknown,
  attempt: number,
): void {
  try {
    onFallback(error, { attempt });
  } catch (hookError) {
    // A broken reporting hook must not turn a degraded answer into a failure.
    warnCallbackFailure(hookError, "McpProdHookWarning");
  }
}

/**
 * The context handed to an attempt: the caller's signal, or a signal of its
 * own made on first read (most primaries never read it).
 */
class Context implements AttemptContext {
  readonly attempt: number;
  readonly error: unknown;
  readonly #callerSignal: AbortSignal | undefined;
  #own: LazySignal | undefined;

  constructor(
    attempt: number,
    error: unknown,
    callerSignal: AbortSignal | undefined,
    own: LazySignal | undefined,
  ) {
    this.attempt = attempt;
    this.error = error;
    this.#callerSignal = callerSignal;
    this.#own = own;
  }

  get signal(): AbortSignal {
    // Without a deadline or a caller's signal nothing can abort the attempt:
    // a fresh, never-aborted signal keeps `fetch(url, { signal })` simple.
    if (this.#callerSignal !== undefined) return this.#callerSignal;
    this.#own ??= new LazySignal();
    return this.#own.signal;
  }
}
