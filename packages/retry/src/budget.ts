import {
  assertKnownKeys,
  assertNonNegativeNumber,
  assertOptions,
  assertPositiveNumber,
} from "@mcp-prod/internal";
import { BUDGET_FOREIGN_KEYS, BUDGET_KEYS, type RetryBudgetOptions } from "./options.ts";

/** What a budget has seen over its window, for metrics and tests. */
export type RetryBudgetStats = {
  /** Calls (first attempts) in the window. */
  readonly calls: number;
  /** Retries allowed in the window. */
  readonly retries: number;
  /** Retries refused since the budget was created. */
  readonly refused: number;
  /** Retries the budget would allow now. */
  readonly available: number;
};

/**
 * A retry budget shared by many callers: each call deposits `ratio` of a
 * retry, each retry withdraws one, over a sliding window of `windowMs`, plus
 * `minPerSecond` retries every second. Pass it as `budget` to `retry` or
 * `withRetry`; it needs no timers and nothing to close.
 */
export type RetryBudget = {
  /** Counts one call (a first attempt); `retry` does this for you. */
  recordCall(): void;
  /** Takes one retry if the budget allows it; `false` when it is spent. */
  tryRetry(): boolean;
  stats(): RetryBudgetStats;
};

const BUCKETS = 10;

/**
 * Creates a retry budget (the retry budgets of Finagle and Envoy): shared by
 * every caller of one upstream, it allows retries only up to `ratio` of the
 * recent calls plus a floor of `minPerSecond`, so when the upstream fails for
 * everyone it sees at most `(1 + ratio)×` its normal load instead of
 * `attempts×`. A retry the budget refuses ends the call with a `RetryError`
 * whose code is `ERETRYBUDGET`.
 *
 * @example
 * ```ts
 * import { createRetryBudget, retry } from "@mcp-prod/retry";
 *
 * const budget = createRetryBudget({ ratio: 0.1, minPerSecond: 5 });
 * const getUser = (id: string) =>
 *   retry(({ signal }) => fetch(`https://users.internal/${id}`, { signal }), { budget });
 * ```
 */
export function createRetryBudget(options?: RetryBudgetOptions): RetryBudget {
  assertOptions(options);
  assertKnownKeys(options, BUDGET_KEYS, "createRetryBudget()", BUDGET_FOREIGN_KEYS);
  const { ratio = 0.2, minPerSecond = 10, windowMs = 10_000 } = options ?? {};
  assertNonNegativeNumber(ratio, "ratio");
  assertNonNegativeNumber(minPerSecond, "minPerSecond");
  assertPositiveNumber(windowMs, "windowMs");
  const bucketMs = windowMs / BUCKETS;
  const floor = (minPerSecond * windowMs) / 1000;
  const calls = new Float64Array(BUCKETS);
  const retries = new Float64Array(BUCKETS);
  let callTotal = 0;
  let retryTotal = 0;
  let refused = 0;
  let current = Math.floor(performance.now() / bucketMs);

  /** Drops the buckets that left the window since the last call. */
  const advance = (): number => {
    const now = Math.floor(performance.now() / bucketMs);
    const passed = Math.min(now - current, BUCKETS);
    for (let step = 1; step <= passed; step++) {
      const index = (current + step) % BUCKETS;
      callTotal -= calls[index] as number;
      retryTotal -= retries[index] as number;
      calls[index] = 0;
      retries[index] = 0;
    }
    current = now;
    return now % BUCKETS;
  };
  const available = (): number => Math.max(0, Math.floor(ratio * callTotal + floor - retryTotal));

  return {
    recordCall() {
      const index = advance();
      calls[index] = (calls[index] as number) + 1;
      callTotal += 1;
    },
    tryRetry() {
      const index = advance();
      if (retryTotal + 1 > ratio * callTotal + floor) {
        refused += 1;
        return false;
      }
      retries[index] = (retries[index] as number) + 1;
      retryTotal += 1;
      return true;
    },
    stats() {
      advance();
      return { calls: callTotal, retries: retryTotal, refused, available: available() };
    },
  };
}
