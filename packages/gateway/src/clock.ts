/** A timer set with a {@link Clock}. */
export type Timer = { readonly __timer: unique symbol } | NodeJS.Timeout;

/**
 * Where the gateway reads the time and sets its timers: call timeouts,
 * session idle expiry, the housekeeping tick. Tests pass a clock of their own
 * to move time without waiting.
 */
export type Clock = {
  /** Milliseconds since the epoch (`Date.now()`). */
  now(): number;
  /** Calls `run` once after `ms`; the timer must not hold the process open. */
  setTimeout(run: () => void, ms: number): Timer;
  clearTimeout(timer: Timer): void;
};

/** The process clock: `Date.now()` and unref'd timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => {
    const timer = setTimeout(run, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/**
 * A repeating task on a clock, re-armed after each run, stopped by `stop()`.
 *
 * @example
 * ```ts
 * const tick = every(clock, 1000, () => sweep());
 * tick.stop();
 * ```
 */
export function every(clock: Clock, ms: number, run: () => void): { stop(): void } {
  let timer: Timer | undefined;
  let stopped = false;
  const arm = () => {
    timer = clock.setTimeout(() => {
      if (stopped) return;
      try {
        run();
      } finally {
        if (!stopped) arm();
      }
    }, ms);
  };
  arm();
  return {
    stop: () => {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
    },
  };
}
