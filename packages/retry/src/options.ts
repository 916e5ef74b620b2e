import {
  assertFunction,
  assertKnownKeys,
  assertNonNegativeNumber,
  assertOneOf,
  assertOptions,
  assertPositiveInteger,
  type ForeignKeys,
  JITTERS,
  type Jitter,
  optionKeys,
} from "@mcp-prod/internal";
import type { RetryBudget } from "./budget.ts";
import { isRetryable } from "./transient.ts";

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

/** The options of one `retry`, checked, with their defaults filled. */
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

/** The option names of {@link RetryOptions}, checked against the type by the compiler. */
export const RETRY_KEYS = optionKeys<RetryOptions>({
  attempts: true,
  minDelayMs: true,
  maxDelayMs: true,
  jitter: true,
  retryOn: true,
  signal: true,
  onRetry: true,
  budget: true,
  random: true,
});
const KNOWN_KEYS: ReadonlySet<string> = new Set(RETRY_KEYS);

/** Where the options of cockatiel, p-retry, Polly and resilience4j live here. */
export const RETRY_FOREIGN_KEYS: ForeignKeys = {
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
};

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

/** Options of {@link withRetry}. */
export type WithRetryOptions = Omit<RetryOptions, "signal"> & {
  /**
   * Required, and must be `true`: you state that running the tool twice for
   * one request is safe. Retrying a tool that is not idempotent (sends a
   * message, charges a card) repeats its side effects.
   */
  readonly idempotent: true;
  /**
   * Also retry an `isError: true` result, handed to `retryOn` as a
   * {@link ToolResultError} (the default `retryOn` retries every one). When
   * every attempt answers so, the last result is returned.
   * @default false
   */
  readonly retryErrorResults?: boolean;
};

/** The option names of {@link WithRetryOptions}. */
export const WITH_RETRY_KEYS: readonly string[] = [
  ...RETRY_KEYS.filter((key) => key !== "signal"),
  ...optionKeys<Pick<WithRetryOptions, "idempotent" | "retryErrorResults">>({
    idempotent: true,
    retryErrorResults: true,
  }),
];

/** Options of {@link createRetryBudget}. */
export type RetryBudgetOptions = {
  /**
   * Retries allowed per call, over the window: `0.2` lets a failing upstream
   * see at most 1.2× its normal load, plus the floor.
   * @default 0.2
   */
  readonly ratio?: number;
  /**
   * Retries allowed every second whatever the traffic, so a quiet service
   * still retries its occasional failure.
   * @default 10
   */
  readonly minPerSecond?: number;
  /**
   * How far back calls and retries count, in ms.
   * @default 10000
   */
  readonly windowMs?: number;
};

/** The option names of {@link RetryBudgetOptions}. */
export const BUDGET_KEYS = optionKeys<RetryBudgetOptions>({
  ratio: true,
  minPerSecond: true,
  windowMs: true,
});
/** Where Finagle's and Envoy's names live here. */
export const BUDGET_FOREIGN_KEYS: ForeignKeys = {
  percentCanRetry: "use `ratio` (a fraction: 0.2 for 20 %)",
  retryPercent: "use `ratio` (a fraction: 0.2 for 20 %)",
  budgetPercent: "use `ratio` (a fraction: 0.2 for 20 %)",
  minRetriesPerSec: "use `minPerSecond`",
  minRetryConcurrency: "use `minPerSecond` (retries per second, not concurrent retries)",
  ttl: "use `windowMs` (milliseconds)",
};
