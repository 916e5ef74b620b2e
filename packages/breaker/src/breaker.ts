import { AsyncLocalStorage } from "node:async_hooks";
import {
  abortReason,
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
  Emitter,
  type ForeignKeys,
  optionKeys,
} from "@mcp-prod/internal";
import CircuitBreaker from "opossum";
import { type BreakerCall, Call, type HalfOpenState } from "./call.ts";
import { readConsecutiveFailures } from "./consecutive.ts";
import { DeadlineQueue } from "./deadlines.ts";
import {
  BreakerOpenError,
  BreakerReentrantError,
  BreakerShutdownError,
  BreakerTimeoutError,
  ToolResultError,
} from "./errors.ts";
import { LatencyHistogram } from "./histogram.ts";
import { rotationClock } from "./rotation.ts";

/** The three states of a circuit breaker. */
export type BreakerState = "closed" | "open" | "halfOpen";

/** What {@link Breaker.healthCheck} reports: closed, half-open, open. */
export type BreakerHealth = "healthy" | "degraded" | "unhealthy";

/** A breaker's state as saved by `toJSON()` and restored by the `initialState` option. */
export type BreakerSnapshot = {
  readonly name: string;
  readonly state: BreakerState;
  /** When the breaker opened (ms since the epoch); present while it is open. */
  readonly openedAt?: number;
};

/** What `stats()` returns; the shape @mcp-prod/telemetry reads. */
export type BreakerStats = {
  readonly state: BreakerState;
  /** Calls that succeeded, since the breaker was created. */
  readonly successes: number;
  /** Calls that failed, timeouts and failing results included, since the breaker was created. */
  readonly failures: number;
  /** Calls rejected without running because the circuit was open. */
  readonly rejects: number;
  /** Calls that outlived `timeout` (also counted in `failures`). */
  readonly timeouts: number;
  /** Mean latency in ms over the last one to two rolling windows. */
  readonly latencyMean: number;
  /** 99th percentile latency in ms over the last one to two rolling windows, from a fixed-size histogram. */
  readonly latencyP99: number;
};

/** The events of a breaker; `on(name, listener)` returns the remover. */
export type BreakerEvents = {
  open: () => void;
  halfOpen: () => void;
  close: () => void;
  stateChange: (change: { readonly from: BreakerState; readonly to: BreakerState }) => void;
  success: (latencyMs: number) => void;
  failure: (error: unknown, latencyMs: number) => void;
  timeout: (latencyMs: number) => void;
  reject: () => void;
};

/** Options of {@link createBreaker}; the names and defaults are opossum's where opossum has them. */
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

/**
 * A circuit breaker around one action, typed from it: `fire` takes the
 * action's parameters and resolves with its result.
 */
export type Breaker<Args extends unknown[] = unknown[], Result = unknown> = {
  readonly name: string;
  readonly state: BreakerState;
  /** Calls the action through the breaker. */
  fire(...args: Args): Promise<Result>;
  /**
   * Like `fire`, with the caller's signal. An abortable action gets it through
   * `call.signal`, and the call rejects with its reason as soon as it aborts;
   * a call whose action never reads the signal rejects with that reason when
   * the action settles. Either way a cancelled call counts as neither success
   * nor failure.
   */
  fireWith(options: { readonly signal?: AbortSignal | undefined }, ...args: Args): Promise<Result>;
  /**
   * Runs any function through this breaker's state and statistics, for
   * example several tools guarded by one breaker per upstream.
   */
  execute<T>(
    fn: (call: BreakerCall) => T,
    options?: ExecuteOptions<Awaited<T>>,
  ): Promise<Awaited<T>>;
  on<Name extends keyof BreakerEvents>(name: Name, listener: BreakerEvents[Name]): () => void;
  once<Name extends keyof BreakerEvents>(name: Name, listener: BreakerEvents[Name]): () => void;
  off<Name extends keyof BreakerEvents>(name: Name, listener: BreakerEvents[Name]): void;
  stats(): BreakerStats;
  healthCheck(): BreakerHealth;
  toJSON(): BreakerSnapshot;
  /** Forces the circuit open (for example from an operator command). */
  open(): void;
  /** Forces the circuit closed and clears the rolling window. */
  close(): void;
  /** Stops every timer and listener; later calls reject with `BreakerShutdownError`. */
  shutdown(): void;
};

/** Options of `breaker.execute`. */
export type ExecuteOptions<T> = {
  /** The caller's signal: aborting it rejects the call, which counts as neither success nor failure. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Resolved values for which this returns true count as failures (the caller
   * still gets them); `"excused"` counts one as neither success nor failure,
   * such as a refusal by a bulkhead inside the breaker (load shed is not the
   * upstream failing).
   */
  readonly isFailure?: ((value: T) => boolean | "excused") | undefined;
};

type State =
  | { readonly kind: "closed" }
  | { readonly kind: "open"; readonly openedAt: number }
  | HalfOpenState;

type WindowBucket = {
  successes: number;
  failures: number;
  timeouts: number;
  rejects: number;
  fires: number;
  slowCalls?: number;
  latencyTimes: number[];
};

type Invoke = (call: Call, payload: unknown) => unknown;

const CLOSED: State = { kind: "closed" };

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

/** The half-open probes running in this async context, innermost first. */
type ProbeScope = { readonly breaker: object; readonly outer: ProbeScope | undefined };
/** Entered only by probe calls (rare), read only when a call is refused for want of a probe slot. */
const probeScopes = new AsyncLocalStorage<ProbeScope>();

function insideProbeOf(breaker: object): boolean {
  for (let scope = probeScopes.getStore(); scope !== undefined; scope = scope.outer)
    if (scope.breaker === breaker) return true;
  return false;
}

/**
 * The breaker behind `createBreaker`, `createBreakerGroup` and `withBreaker`.
 * opossum holds the state machine, the reset timer and the rolling window;
 * the call path is ours, because opossum's cannot leave a cancelled or excused
 * call uncounted and closes a half-open circuit on any success.
 */
export class BreakerCore<Args extends unknown[], Result> implements Breaker<Args, Result> {
  readonly name: string;
  readonly #opossum: CircuitBreaker;
  readonly #events = new Emitter<BreakerEvents>();
  readonly #deadlines: DeadlineQueue<Call> | undefined;
  readonly #invokeAction: Invoke;
  readonly #timeoutMs: number;
  readonly #resetTimeoutMs: number;
  readonly #errorThreshold: number;
  readonly #volumeThreshold: number;
  readonly #halfOpenMaxCalls: number;
  /** 0: the rolling-percentage rule decides. */
  readonly #consecutiveLimit: number;
  #consecutiveFailures = 0;
  readonly #errorFilter: ((error: unknown) => boolean) | undefined;
  readonly #slowCallMs: number;
  readonly #slowCallPercentage: number;
  readonly #bucketsPerWindow: number;
  readonly #clock: ReturnType<typeof rotationClock>;
  #state: State = CLOSED;
  #shutdown = false;
  #bucket: WindowBucket;
  #rotations = 0;
  #latency = new LatencyHistogram();
  #previousLatency = new LatencyHistogram();
  #successes = 0;
  #failures = 0;
  #rejects = 0;
  #timeouts = 0;

  constructor(
    action: ((...args: never[]) => unknown) | undefined,
    options: BreakerOptions | undefined,
    abortable: boolean,
    where = "createBreaker()",
    extraKeys: readonly string[] = ["abortable"],
  ) {
    assertOptions(options);
    assertKnownKeys(
      options,
      new Set([...BREAKER_OPTION_KEYS, ...extraKeys]),
      where,
      BREAKER_FOREIGN_KEYS,
    );
    const {
      name = (action?.name || undefined) ?? "breaker",
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

    this.#consecutiveLimit = readConsecutiveFailures(options);
    this.name = name;
    this.#timeoutMs = timeout === false ? 0 : timeout;
    this.#resetTimeoutMs = resetTimeout;
    this.#errorThreshold = errorThresholdPercentage;
    this.#volumeThreshold = volumeThreshold;
    this.#halfOpenMaxCalls = halfOpenMaxCalls;
    this.#errorFilter = errorFilter;
    this.#slowCallMs = slowCallMs ?? Number.POSITIVE_INFINITY;
    this.#slowCallPercentage = slowCallPercentage;
    this.#bucketsPerWindow = rollingCountBuckets;
    this.#deadlines =
      timeout === false
        ? undefined
        : new DeadlineQueue<Call>(timeout, (call) => this.#onTimeout(call));
    const target = action as ((...args: unknown[]) => unknown) | undefined;
    this.#invokeAction = !target
      ? () => undefined
      : abortable
        ? (call, args) => target(call, ...(args as unknown[]))
        : (_call, args) => target(...(args as unknown[]));

    this.#clock = rotationClock(Math.floor(rollingCountTimeout / rollingCountBuckets));
    // A fresh options object: opossum writes its defaults into the one it is given.
    this.#opossum = new CircuitBreaker(async () => undefined, {
      name,
      timeout: false,
      resetTimeout,
      errorThresholdPercentage,
      volumeThreshold,
      rollingCountTimeout,
      rollingCountBuckets,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      rotateBucketController: this.#clock,
      ...(initialState && initialState.state !== "closed"
        ? {
            state: {
              name,
              enabled: true,
              closed: false,
              open: initialState.state === "open",
              halfOpen: initialState.state === "halfOpen",
              warmUp: false,
              shutdown: false,
              lastTimerAt: (initialState.openedAt ?? Date.now()) as unknown as symbol,
            },
          }
        : {}),
    });
    if (this.#opossum.opened) this.#state = { kind: "open", openedAt: Date.now() };
    else if (this.#opossum.halfOpen) this.#state = { kind: "halfOpen", probes: 0 };
    this.#bucket = this.#currentBucket();
    this.#opossum.on("open", () => this.#transition({ kind: "open", openedAt: Date.now() }));
    this.#opossum.on("halfOpen", () => this.#transition({ kind: "halfOpen", probes: 0 }));
    this.#opossum.on("close", () => {
      this.#consecutiveFailures = 0;
      this.#resetWindow();
      this.#transition(CLOSED);
    });
    this.#clock.on("rotate", this.#onRotate);
  }

  get state(): BreakerState {
    return this.#state.kind;
  }

  fire(...args: Args): Promise<Result> {
    return this.#run(this.#invokeAction, args, undefined, undefined) as Promise<Result>;
  }

  fireWith(options: { readonly signal?: AbortSignal | undefined }, ...args: Args): Promise<Result> {
    return this.#run(this.#invokeAction, args, options?.signal, undefined) as Promise<Result>;
  }

  execute<T>(
    fn: (call: BreakerCall) => T,
    options?: ExecuteOptions<Awaited<T>>,
  ): Promise<Awaited<T>> {
    return this.#run(
      invokeFunction,
      fn,
      options?.signal,
      options?.isFailure as ((value: unknown) => boolean | "excused") | undefined,
    ) as Promise<Awaited<T>>;
  }

  on<Name extends keyof BreakerEvents>(name: Name, listener: BreakerEvents[Name]): () => void {
    return this.#events.on(name, listener);
  }

  once<Name extends keyof BreakerEvents>(name: Name, listener: BreakerEvents[Name]): () => void {
    return this.#events.once(name, listener);
  }

  off<Name extends keyof BreakerEvents>(name: Name, listener: BreakerEvents[Name]): void {
    this.#events.off(name, listener);
  }

  stats(): BreakerStats {
    const latency = this.#latency.summary(this.#previousLatency);
    return {
      state: this.#state.kind,
      successes: this.#successes,
      failures: this.#failures,
      rejects: this.#rejects,
      timeouts: this.#timeouts,
      latencyMean: latency.mean,
      latencyP99: latency.p99,
    };
  }

  healthCheck(): BreakerHealth {
    const kind = this.#state.kind;
    return kind === "closed" ? "healthy" : kind === "halfOpen" ? "degraded" : "unhealthy";
  }

  toJSON(): BreakerSnapshot {
    const state = this.#state;
    return state.kind === "open"
      ? { name: this.name, state: state.kind, openedAt: state.openedAt }
      : { name: this.name, state: state.kind };
  }

  open(): void {
    if (!this.#shutdown) this.#opossum.open();
  }

  close(): void {
    if (!this.#shutdown) this.#opossum.close();
  }

  shutdown(): void {
    if (this.#shutdown) return;
    this.#shutdown = true;
    this.#clock.off("rotate", this.#onRotate);
    this.#opossum.shutdown();
    this.#deadlines?.clear();
    this.#events.removeAllListeners();
  }

  #run(
    invoke: Invoke,
    payload: unknown,
    callerSignal: AbortSignal | undefined,
    isFailure: ((value: unknown) => boolean | "excused") | undefined,
  ): Promise<unknown> {
    if (this.#shutdown) return Promise.reject(new BreakerShutdownError(this.name));
    const state = this.#state;
    if (state.kind === "open")
      return this.#reject(state.openedAt + this.#resetTimeoutMs - Date.now());
    if (state.kind === "halfOpen" && state.probes >= this.#halfOpenMaxCalls) {
      if (insideProbeOf(this)) return Promise.reject(new BreakerReentrantError(this.name));
      return this.#reject(0);
    }
    if (callerSignal?.aborted) return Promise.reject(abortReason(callerSignal));
    let probeOf: HalfOpenState | undefined;
    if (state.kind === "halfOpen") {
      state.probes++;
      probeOf = state;
    }
    const call = new Call(
      probeOf,
      callerSignal,
      isFailure,
      this.#deadlines !== undefined,
      this.#onCancel,
    );
    this.#bucket.fires++;
    return new Promise((resolve, reject) => {
      call.resolve = resolve;
      call.reject = reject;
      const start = performance.now();
      call.start = start;
      let result: unknown;
      try {
        result =
          probeOf === undefined
            ? invoke(call, payload)
            : probeScopes.run(
                { breaker: this, outer: probeScopes.getStore() },
                invoke,
                call,
                payload,
              );
      } catch (error) {
        this.#onError(call, error);
        return;
      }
      if (!isThenable(result)) {
        this.#onValue(call, result);
        return;
      }
      this.#deadlines?.add(call, start);
      result.then(
        (value) => this.#onValue(call, value),
        (error: unknown) => this.#onError(call, error),
      );
    });
  }

  #reject(retryAfterMs: number): Promise<never> {
    this.#bucket.rejects++;
    this.#rejects++;
    this.#events.emit("reject");
    return Promise.reject(new BreakerOpenError(this.name, Math.max(0, retryAfterMs)));
  }

  #onValue(call: Call, value: unknown): void {
    if (call.settled) return;
    if (call.callerSignal?.aborted) {
      this.#onCancel(call);
      return;
    }
    call.settled = true;
    call.removeAbortListener();
    const latency = performance.now() - call.start;
    const verdict = call.isFailure ? verdictOf(call.isFailure, value) : false;
    if (verdict === "excused") this.#releaseProbe(call);
    else if (verdict) this.#recordFailure(call, new ToolResultError(this.name, value), latency);
    else this.#recordSuccess(call, latency);
    call.resolve(value);
  }

  #onError(call: Call, error: unknown): void {
    if (call.settled) return;
    if (call.callerSignal?.aborted) {
      this.#onCancel(call);
      return;
    }
    call.settled = true;
    call.removeAbortListener();
    const latency = performance.now() - call.start;
    if (this.#errorFilter && safely(this.#errorFilter, error)) this.#releaseProbe(call);
    else this.#recordFailure(call, error, latency);
    call.reject(error);
  }

  #onTimeout(call: Call): void {
    if (call.settled) return;
    call.settled = true;
    call.removeAbortListener();
    const latency = performance.now() - call.start;
    const error = new BreakerTimeoutError(this.name, this.#timeoutMs);
    call.abort(error);
    this.#bucket.timeouts++;
    this.#timeouts++;
    this.#events.emit("timeout", latency);
    this.#recordFailure(call, error, latency);
    call.reject(error);
  }

  #onCancel = (call: Call): void => {
    if (call.settled) return;
    call.settled = true;
    call.removeAbortListener();
    const reason = abortReason(call.callerSignal as AbortSignal);
    call.abort(reason);
    // A client that gives up says nothing about the upstream's health.
    this.#releaseProbe(call);
    call.reject(reason);
  };

  #recordSuccess(call: Call, latencyMs: number): void {
    const slow = latencyMs >= this.#slowCallMs;
    const bucket = this.#bucket;
    bucket.successes++;
    if (slow) bucket.slowCalls = (bucket.slowCalls ?? 0) + 1;
    this.#successes++;
    this.#consecutiveFailures = 0;
    this.#latency.record(latencyMs);
    this.#events.emit("success", latencyMs);
    if (call.probeOf) {
      if (this.#state !== call.probeOf) return;
      // A slow probe says the upstream has not recovered.
      if (slow) this.#opossum.open();
      else this.#opossum.close();
    } else if (slow && this.#state.kind === "closed") {
      this.#evaluate();
    }
  }

  #recordFailure(call: Call, error: unknown, latencyMs: number): void {
    this.#bucket.failures++;
    this.#failures++;
    this.#latency.record(latencyMs);
    this.#events.emit("failure", error, latencyMs);
    if (call.probeOf) {
      if (this.#state === call.probeOf) this.#opossum.open();
    } else if (this.#state.kind === "closed") {
      if (this.#consecutiveLimit === 0) this.#evaluate();
      else if (++this.#consecutiveFailures >= this.#consecutiveLimit) this.#opossum.open();
    }
  }

  /** A probe that ended without a verdict frees its slot for another probe. */
  #releaseProbe(call: Call): void {
    if (call.probeOf && this.#state === call.probeOf) call.probeOf.probes--;
  }

  #evaluate(): void {
    let calls = 0;
    let failures = 0;
    let slow = 0;
    for (const bucket of this.#opossum.status.window as unknown as WindowBucket[]) {
      calls += bucket.successes + bucket.failures;
      failures += bucket.failures;
      slow += bucket.slowCalls ?? 0;
    }
    if (calls === 0 || calls < this.#volumeThreshold) return;
    if (
      failures * 100 > this.#errorThreshold * calls ||
      slow * 100 >= this.#slowCallPercentage * calls
    ) {
      this.#opossum.open();
    }
  }

  #transition(next: State): void {
    const from = this.#state.kind;
    this.#state = next;
    this.#events.emit("stateChange", { from, to: next.kind });
    this.#events.emit(next.kind === "closed" ? "close" : next.kind);
  }

  #currentBucket(): WindowBucket {
    return this.#opossum.status.window[0] as unknown as WindowBucket;
  }

  /** Old failures must not re-open a breaker that has just closed. */
  #resetWindow(): void {
    for (const bucket of this.#opossum.status.window as unknown as WindowBucket[]) {
      bucket.successes = 0;
      bucket.failures = 0;
      bucket.timeouts = 0;
      bucket.rejects = 0;
      bucket.fires = 0;
      bucket.slowCalls = 0;
      bucket.latencyTimes.length = 0;
    }
  }

  // Runs after opossum's own listener on the shared clock has rotated the window.
  #onRotate = (): void => {
    this.#bucket = this.#currentBucket();
    if (++this.#rotations % this.#bucketsPerWindow === 0) {
      const previous = this.#previousLatency;
      previous.reset();
      this.#previousLatency = this.#latency;
      this.#latency = previous;
    }
  };
}

function invokeFunction(call: Call, fn: unknown): unknown {
  return (fn as (call: BreakerCall) => unknown)(call);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** A result classifier's verdict; one that throws must not leave the call unsettled: "no". */
function verdictOf(
  check: (value: unknown) => boolean | "excused",
  value: unknown,
): boolean | "excused" {
  try {
    const verdict = check(value);
    return verdict === "excused" ? verdict : verdict === true;
  } catch {
    return false;
  }
}

/** A classifier that throws must not leave the call unsettled: its verdict is "no". */
function safely(check: (value: unknown) => boolean, value: unknown): boolean {
  try {
    return check(value) === true;
  } catch {
    return false;
  }
}

/**
 * Creates a circuit breaker around `action`, typed from it. With
 * `abortable: true` the action receives the call's `{ signal }` first, aborted
 * by this call's timeout or its caller's signal.
 *
 * @example
 * ```ts
 * import { createBreaker } from "@mcp-prod/breaker";
 *
 * const breaker = createBreaker(
 *   async ({ signal }, city: string) => (await fetch(`https://api.example.com/${city}`, { signal })).json(),
 *   { name: "weather", abortable: true, timeout: 5000, errorThresholdPercentage: 50, resetTimeout: 30000 },
 * );
 * breaker.on("open", () => alertOnCall("weather API circuit opened"));
 * const forecast = await breaker.fire("oslo");
 * ```
 */
export function createBreaker<Args extends unknown[], Return>(
  action: (call: BreakerCall, ...args: Args) => Return,
  options: BreakerOptions & { readonly abortable: true },
): Breaker<Args, Awaited<Return>>;
export function createBreaker<Args extends unknown[], Return>(
  action: (...args: Args) => Return,
  options?: BreakerOptions & { readonly abortable?: false },
): Breaker<Args, Awaited<Return>>;
export function createBreaker(
  action: (...args: never[]) => unknown,
  options?: BreakerOptions & { readonly abortable?: boolean },
): Breaker<unknown[], unknown> {
  return new BreakerCore(action, options, checkFactory(action, options));
}

/** Checks what `createBreaker` and `createBreakerGroup` both take; returns whether the action is abortable. */
export function checkFactory(action: unknown, options: unknown): boolean {
  assertFunction(action, "action");
  assertOptions(options);
  const abortable = (options as { abortable?: unknown } | undefined)?.abortable;
  assertBoolean(abortable, "abortable", true);
  return abortable === true;
}
