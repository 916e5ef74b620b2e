import {
  assertBoolean,
  assertFunction,
  assertKnownKeys,
  assertNonNegativeInteger,
  assertOneOf,
  assertOptions,
  assertPercentage,
  assertPositiveInteger,
  assertPositiveNumber,
  assertString,
  describeValue,
  type ForeignKeys,
  type OpossumBreaker,
  optionKeys,
} from "@mcp-prod/internal";
import { readConsecutiveFailures } from "./consecutive.ts";
import type { Breaker, BreakerSnapshot } from "./types.ts";

/** Options of `createBreaker`; the names and defaults are opossum's where opossum has them. */
export type BreakerOptions = {
  /**
   * The breaker's name, reported in errors and read by telemetry.
   * @default the action's function name, or "breaker"
   */
  readonly name?: string;
  /**
   * Milliseconds after which a call is abandoned: its signal is aborted, it
   * rejects with `BreakerTimeoutError` and counts as a failure. `false` disables it.
   * @default 10000
   */
  readonly timeout?: number | false;
  /**
   * Open when failures exceed this percentage of the calls in the rolling window.
   * @default 50
   */
  readonly errorThresholdPercentage?: number;
  /**
   * Open after this many failures in a row instead of by percentage (a
   * success resets the count; cancelled and excused calls leave it as it is).
   * Suits tools called a few times a minute, where a percentage over a short
   * window is noise. Replaces the rolling-percentage rule, so it cannot be
   * combined with `errorThresholdPercentage`, `volumeThreshold`, `slowCallMs`
   * or `slowCallPercentage` (a `TypeError` names the clash).
   * @default undefined (the rolling-percentage rule)
   */
  readonly consecutiveFailures?: number;
  /**
   * Milliseconds the circuit stays open before letting probe calls through.
   * @default 30000
   */
  readonly resetTimeout?: number;
  /**
   * Completed calls the rolling window must hold before the breaker may open.
   * @default 0
   */
  readonly volumeThreshold?: number;
  /**
   * Length of the rolling window in milliseconds.
   * @default 10000
   */
  readonly rollingCountTimeout?: number;
  /**
   * Buckets the rolling window is divided into.
   * @default 10
   */
  readonly rollingCountBuckets?: number;
  /**
   * Probe calls let through at once while half-open; everyone else is rejected.
   * @default 1
   */
  readonly halfOpenMaxCalls?: number;
  /**
   * Errors for which this returns true are excused: they reject the caller but
   * count as neither success nor failure (input validation, 4xx-style errors).
   * @default none
   */
  readonly errorFilter?: (error: unknown) => boolean;
  /**
   * A successful call that takes at least this many milliseconds is slow.
   * @default none (slow-call tripping off)
   */
  readonly slowCallMs?: number;
  /**
   * Open when slow calls make up at least this percentage of the calls in the
   * rolling window, even if they succeed. Used with `slowCallMs`.
   * @default 100
   */
  readonly slowCallPercentage?: number;
  /**
   * Start from a saved state (`breaker.toJSON()` of a previous instance). An
   * open state whose `resetTimeout` has elapsed starts half-open; one still
   * open waits a full `resetTimeout` from now.
   * @default closed
   */
  readonly initialState?: BreakerSnapshot;
};

/** The option names of {@link BreakerOptions}, checked against the type by the compiler. */
export const BREAKER_OPTION_KEYS = optionKeys<BreakerOptions>({
  name: true,
  timeout: true,
  errorThresholdPercentage: true,
  consecutiveFailures: true,
  resetTimeout: true,
  volumeThreshold: true,
  rollingCountTimeout: true,
  rollingCountBuckets: true,
  halfOpenMaxCalls: true,
  errorFilter: true,
  slowCallMs: true,
  slowCallPercentage: true,
  initialState: true,
});

const SNAPSHOT_KEYS = optionKeys<BreakerSnapshot>({ name: true, state: true, openedAt: true });

/** opossum's, cockatiel's and resilience4j's names that mean something else here. */
export const BREAKER_FOREIGN_KEYS: ForeignKeys = {
  capacity: "not supported here: a concurrency limit is @mcp-prod/bulkhead",
  maxConcurrent: "not supported here: a concurrency limit is @mcp-prod/bulkhead",
  halfOpenAfter: "use `resetTimeout` (milliseconds)",
  waitDurationInOpenState: "use `resetTimeout` (milliseconds)",
  failureRateThreshold: "use `errorThresholdPercentage`",
  minimumNumberOfCalls: "use `volumeThreshold`",
  slowCallDurationThreshold: "use `slowCallMs` (milliseconds)",
  slowCallRateThreshold: "use `slowCallPercentage`",
  permittedNumberOfCallsInHalfOpenState: "use `halfOpenMaxCalls`",
  abortController: "pass `abortable: true` and read `call.signal` in the action",
};
const STATES = ["closed", "open", "halfOpen"] as const;

/** The options with their defaults filled in and every value checked. */
export type BreakerSettings = {
  readonly name: string;
  /** 0: no timeout. */
  readonly timeoutMs: number;
  readonly resetTimeoutMs: number;
  readonly errorThresholdPercentage: number;
  readonly volumeThreshold: number;
  readonly rollingCountTimeoutMs: number;
  readonly rollingCountBuckets: number;
  readonly halfOpenMaxCalls: number;
  /** 0: the rolling-percentage rule decides. */
  readonly consecutiveFailures: number;
  readonly errorFilter: ((error: unknown) => boolean) | undefined;
  /** Infinity: slow-call tripping off. */
  readonly slowCallMs: number;
  readonly slowCallPercentage: number;
  readonly initialState: BreakerSnapshot | undefined;
};

/**
 * Checks `options` (unknown keys refused, each value checked) and fills in the
 * defaults. `where` names the factory in messages; `extraKeys` are the
 * factory's own options, accepted and ignored here.
 */
export function readBreakerOptions(
  options: BreakerOptions | undefined,
  defaultName: string,
  where: string,
  extraKeys: readonly string[],
): BreakerSettings {
  assertOptions(options);
  assertKnownKeys(
    options,
    new Set([...BREAKER_OPTION_KEYS, ...extraKeys]),
    where,
    BREAKER_FOREIGN_KEYS,
  );
  const {
    name = defaultName,
    timeout = 10_000,
    errorThresholdPercentage = 50,
    resetTimeout = 30_000,
    volumeThreshold = 0,
    rollingCountTimeout = 10_000,
    rollingCountBuckets = 10,
    halfOpenMaxCalls = 1,
    errorFilter,
    slowCallMs,
    slowCallPercentage = 100,
    initialState,
  } = options ?? {};
  assertString(name, "name");
  if (timeout !== false) assertPositiveNumber(timeout, "timeout");
  assertPercentage(errorThresholdPercentage, "errorThresholdPercentage");
  assertPositiveNumber(resetTimeout, "resetTimeout");
  assertNonNegativeInteger(volumeThreshold, "volumeThreshold");
  assertPositiveNumber(rollingCountTimeout, "rollingCountTimeout");
  assertPositiveInteger(rollingCountBuckets, "rollingCountBuckets");
  if (rollingCountTimeout / rollingCountBuckets < 1) {
    throw new TypeError(
      `Expected \`rollingCountBuckets\` to be at most \`rollingCountTimeout\`, got ${rollingCountBuckets}`,
    );
  }
  assertPositiveInteger(halfOpenMaxCalls, "halfOpenMaxCalls");
  assertFunction(errorFilter, "errorFilter", true);
  assertPositiveNumber(slowCallMs, "slowCallMs", true);
  assertPercentage(slowCallPercentage, "slowCallPercentage");
  if (initialState !== undefined) {
    assertOptions(initialState, "initialState");
    assertKnownKeys(initialState, SNAPSHOT_KEYS, `${where} \`initialState\``);
    assertOneOf(initialState.state, "initialState.state", STATES);
    if (initialState.openedAt !== undefined && !Number.isFinite(initialState.openedAt)) {
      throw new TypeError(
        `Expected \`initialState.openedAt\` to be a finite number, got ${describeValue(initialState.openedAt)}`,
      );
    }
  }
  return {
    name,
    timeoutMs: timeout === false ? 0 : timeout,
    resetTimeoutMs: resetTimeout,
    errorThresholdPercentage,
    volumeThreshold,
    rollingCountTimeoutMs: rollingCountTimeout,
    rollingCountBuckets,
    halfOpenMaxCalls,
    consecutiveFailures: readConsecutiveFailures(options),
    errorFilter,
    slowCallMs: slowCallMs ?? Number.POSITIVE_INFINITY,
    slowCallPercentage,
    initialState,
  };
}

/** `createBreaker`'s own option beside the breaker options. */
export const CREATE_BREAKER_KEYS = optionKeys<{ readonly abortable?: boolean }>({
  abortable: true,
});

/** `createBreakerGroup`'s own options beside the breaker options. */
export const CREATE_GROUP_KEYS = optionKeys<{
  readonly abortable?: boolean;
  readonly maxBreakers?: number;
}>({ abortable: true, maxBreakers: true });

/** Whether the action takes a signal (`abortable: true`); throws a TypeError when the action or options are not what `createBreaker` and `createBreakerGroup` take. */
export function isAbortableAction(action: unknown, options: unknown): boolean {
  assertFunction(action, "action");
  assertOptions(options);
  const abortable = (options as { abortable?: unknown } | undefined)?.abortable;
  assertBoolean(abortable, "abortable", true);
  return abortable === true;
}

/** What `withBreaker` does with the tool's results. */
export type ToolBreakerOptions = {
  /**
   * Text of the `isError` result returned while the circuit is open.
   * @default "Service temporarily unavailable"
   */
  readonly openMessage?: string;
  /**
   * Count a result with `isError: true` as a failure (MCP tools report failure
   * in the result); the result itself still reaches the client.
   * @default true
   */
  readonly countErrorResults?: boolean;
};

/**
 * Options of {@link withBreaker}: either the breaker options for a breaker of
 * its own, or `breaker` to share one (for example one per upstream, guarding
 * several tools).
 */
export type WithBreakerOptions =
  | (BreakerOptions & ToolBreakerOptions & { readonly breaker?: undefined })
  | (ToolBreakerOptions & {
      /**
       * A breaker shared with other tools: one from `createBreaker()`, or an
       * opossum `CircuitBreaker` (8.x or 9.x) the code already has, which then
       * guards the tool while opossum counts its own `fire()` calls.
       */
      readonly breaker: Pick<Breaker, "execute" | "name"> | OpossumBreaker;
    });

const TOOL_KEYS = [
  ...optionKeys<ToolBreakerOptions>({ openMessage: true, countErrorResults: true }),
  "breaker",
];

/** A shared breaker carries its own options; naming one here would be silently ignored. */
const SHARED_BREAKER_KEYS = Object.fromEntries(
  BREAKER_OPTION_KEYS.map((key) => [key, "set it in the shared breaker's own options"]),
);

/** Refuses unknown keys of `withBreaker`'s options, and breaker options next to a shared `breaker`. */
export function checkWithBreakerKeys(options: WithBreakerOptions | undefined): void {
  if (options?.breaker !== undefined)
    assertKnownKeys(options, TOOL_KEYS, "withBreaker()", {
      ...BREAKER_FOREIGN_KEYS,
      ...SHARED_BREAKER_KEYS,
    });
  else
    assertKnownKeys(
      options,
      [...TOOL_KEYS, ...BREAKER_OPTION_KEYS],
      "withBreaker()",
      BREAKER_FOREIGN_KEYS,
    );
}
