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
