import type { BreakerEvents, BreakerState } from "@mcp-prod/internal";
import type { BreakerCall } from "./call.ts";

export type { BreakerEvents, BreakerState };

/** A breaker's state as saved by `toJSON()` and restored by the `initialState` option. */
export type BreakerSnapshot = {
  readonly name: string;
  readonly state: BreakerState;
  /** When the breaker opened (ms since the epoch); present while it is open. */
  readonly openedAt?: number;
};

/** What {@link Breaker.healthCheck} reports: closed, half-open, open. */
export type BreakerHealth = "healthy" | "degraded" | "unhealthy";

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
  /**
   * Opens the circuit now, as failures would (for example from an operator
   * command): calls are rejected, and probes are let through after `resetTimeout`.
   */
  forceOpen(): void;
  /** Closes the circuit now and clears the rolling window, as a successful probe would. */
  forceClose(): void;
  /**
   * Disposes of the breaker: stops its timers, drops its listeners, and later
   * calls reject with `BreakerShutdownError`. Calling it again does nothing.
   */
  close(): void;
  /** @deprecated Use `close()`. */
  shutdown(): void;
};

/** A breaker made without an action (`createBreaker(options)`): functions run through it with `execute`. */
export type SharedBreaker = Omit<Breaker<[], undefined>, "fire" | "fireWith">;

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
