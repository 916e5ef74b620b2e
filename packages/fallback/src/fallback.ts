import { assertFunction, describeValue } from "@mcp-prod/internal";
import { type Attempt, assertSignal, runChain } from "./chain.ts";
import { type ChainSettings, type FallbackOptions, readSettings } from "./options.ts";

const neverFallBack = (): boolean => false;
const noFallbackSettings: ChainSettings = {
  ...readSettings(undefined, "fetchWithFallback()"),
  when: neverFallBack,
};

/**
 * Runs `primary`; when it fails, runs `fallback` instead. Each gets
 * `{ signal, attempt, error }`.
 *
 * The third argument is either a `fallbackOnError` boolean (`true` by
 * default; `false` rethrows the primary's error) or {@link FallbackOptions}:
 * `when` picks the errors a fallback may answer, `timeoutMs` gives up on a slow
 * primary (aborting its signal) and falls back, `onFallback` reports each
 * degradation, `signal` cancels the call.
 *
 * A caller's cancellation is never answered by the fallback: the call rejects
 * with `signal.reason`. When the fallback fails too, the call rejects with a
 * {@link FallbackError} holding both errors in order.
 *
 * @example
 * ```ts
 * import { fetchWithFallback } from "@mcp-prod/fallback";
 *
 * const data = await fetchWithFallback(
 *   ({ signal }) => fetch("http://127.0.0.1:8080/data", { signal }).then((response) => response.json()),
 *   () => readFromCache(),
 *   { timeoutMs: 2000, onFallback: (error) => logger.warn({ error }, "serving cached data") },
 * );
 * ```
 */
export function fetchWithFallback<T>(
  primary: Attempt<T>,
  fallback: Attempt<T>,
  fallbackOnErrorOrOptions: boolean | FallbackOptions = true,
): Promise<T> {
  try {
    assertFunction(primary, "primary");
    assertFunction(fallback, "fallback");
    let settings: ChainSettings;
    let signal: AbortSignal | undefined;
    if (typeof fallbackOnErrorOrOptions === "boolean") {
      settings = fallbackOnErrorOrOptions
        ? readSettings(undefined, "fetchWithFallback()")
        : noFallbackSettings;
    } else {
      settings = readSettings(fallbackOnErrorOrOptions, "fetchWithFallback()");
      signal = fallbackOnErrorOrOptions.signal;
      assertSignal(signal, "signal");
    }
    return runChain(
      2,
      (index, context) => (index === 0 ? primary : fallback)(context),
      settings,
      signal,
    );
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Tries each attempt in turn until one succeeds: the primary, then every
 * fallback in order. When all fail, rejects with a {@link FallbackError} whose
 * `errors` holds every cause in order. Options as for
 * {@link fetchWithFallback}; `timeoutMs` bounds every attempt but the last.
 *
 * @example
 * ```ts
 * import { fallbackChain } from "@mcp-prod/fallback";
 *
 * const rates = await fallbackChain(
 *   [
 *     ({ signal }) => fetchRates("http://127.0.0.1:8081", signal),
 *     ({ signal }) => fetchRates("http://127.0.0.1:8082", signal),
 *     () => lastKnownRates,
 *   ],
 *   { timeoutMs: 1000 },
 * );
 * ```
 */
export function fallbackChain<T>(
  attempts: ReadonlyArray<Attempt<T>>,
  options?: FallbackOptions,
): Promise<T> {
  try {
    if (!Array.isArray(attempts) || attempts.length === 0) {
      throw new TypeError(
        `Expected \`attempts\` to be a non-empty array of functions, got ${describeValue(attempts)}`,
      );
    }
    attempts.forEach((attempt, index) => {
      assertFunction(attempt, `attempts[${index}]`);
    });
    const settings = readSettings(options, "fallbackChain()");
    const signal = options?.signal;
    assertSignal(signal, "signal");
    const list = [...attempts];
    return runChain(
      list.length,
      (index, context) => (list[index] as Attempt<T>)(context),
      settings,
      signal,
    );
  } catch (error) {
    return Promise.reject(error);
  }
}
