/**
 * How the wait before each retry grows (AWS Architecture Blog, "Exponential
 * Backoff And Jitter"), from `minDelayMs × 2^(retry − 1)` capped at
 * `maxDelayMs` (the exponential delay):
 * - `"decorrelated"`: a random wait between `minDelayMs` and three times the
 *   previous wait, capped at `maxDelayMs`. Callers that failed together spread
 *   apart, and the wait still grows.
 * - `"full"`: a random wait between 0 and the exponential delay.
 * - `"equal"`: half the exponential delay plus a random wait up to the other
 *   half: spread apart, and never much shorter than planned.
 * - `"none"`: the exponential delay itself. Callers that failed together retry
 *   together: only for a single caller.
 */
export type Jitter = "decorrelated" | "full" | "equal" | "none";

/** Every {@link Jitter}, for validating an option. */
export const JITTERS = [
  "decorrelated",
  "full",
  "equal",
  "none",
] as const satisfies readonly Jitter[];

/** What {@link backoffDelay} needs besides the retry number. */
export type Backoff = {
  readonly jitter: Jitter;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** A number in [0, 1); `Math.random` unless a test seeds it. */
  readonly random?: () => number;
};

/**
 * The wait before retry number `retry` (1 for the first), given the previous
 * wait (`minDelayMs` before the first; only `"decorrelated"` reads it).
 *
 * @example
 * ```ts
 * const wait = backoffDelay(attempt, { jitter: "equal", minDelayMs: 25, maxDelayMs: 1000 });
 * ```
 */
export function backoffDelay(
  retry: number,
  backoff: Backoff,
  previousMs = backoff.minDelayMs,
): number {
  const { jitter, minDelayMs, maxDelayMs, random = Math.random } = backoff;
  if (jitter === "decorrelated") {
    const upper = Math.max(minDelayMs, previousMs * 3);
    return Math.min(maxDelayMs, minDelayMs + random() * (upper - minDelayMs));
  }
  const exponential = Math.min(maxDelayMs, minDelayMs * 2 ** (retry - 1));
  if (jitter === "full") return random() * exponential;
  if (jitter === "equal") return exponential / 2 + (random() * exponential) / 2;
  return exponential;
}
