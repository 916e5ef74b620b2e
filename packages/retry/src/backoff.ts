/**
 * How the wait before each retry grows (AWS Architecture Blog, "Exponential
 * Backoff And Jitter"):
 * - `"decorrelated"`: a random wait between `minDelayMs` and three times the
 *   previous wait, capped at `maxDelayMs`. Callers that failed together spread
 *   apart, and the wait still grows.
 * - `"full"`: a random wait between 0 and the exponential delay
 *   (`minDelayMs × 2^(retry − 1)`, capped).
 * - `"none"`: the exponential delay itself. Callers that failed together retry
 *   together: only for a single caller.
 */
export type Jitter = "decorrelated" | "full" | "none";

export const JITTERS = ["decorrelated", "full", "none"] as const satisfies readonly Jitter[];

/**
 * The wait before retry number `retry` (1 for the first), given the previous
 * wait (`minDelayMs` before the first).
 */
export function nextDelay(
  jitter: Jitter,
  retry: number,
  previousMs: number,
  minDelayMs: number,
  maxDelayMs: number,
  random: () => number,
): number {
  if (jitter === "decorrelated") {
    const upper = Math.max(minDelayMs, previousMs * 3);
    return Math.min(maxDelayMs, minDelayMs + random() * (upper - minDelayMs));
  }
  const exponential = Math.min(maxDelayMs, minDelayMs * 2 ** (retry - 1));
  return jitter === "full" ? random() * exponential : exponential;
}
