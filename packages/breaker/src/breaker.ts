import {
  abortReason,
  DeadlineQueue,
  EventSource,
  type ToolResult,
  ToolResultError,
} from "@mcp-prod/internal";
import {
  type BreakerCall,
  Call,
  type HalfOpenState,
  invokeFunction,
  isThenable,
  verdictOf,
} from "./call.ts";
import {
  BreakerOpenError,
  BreakerReentrantError,
  BreakerShutdownError,
  BreakerTimeoutError,
} from "./errors.ts";
import {
  type BreakerOptions,
  type BreakerSettings,
  CREATE_BREAKER_KEYS,
  isAbortableAction,
  readBreakerOptions,
} from "./options.ts";
import { insideProbeOf, runAsProbeOf } from "./probe-scope.ts";
import { forgetBreaker } from "./registry.ts";
import type {
  Breaker,
  BreakerEvents,
  BreakerHealth,
  BreakerSnapshot,
  BreakerState,
  BreakerStats,
  ExecuteOptions,
  SharedBreaker,
} from "./types.ts";
import { RollingWindow } from "./window.ts";

type State =
  | { readonly kind: "closed" }
  | { readonly kind: "open"; readonly openedAt: number }
  | HalfOpenState;

type Invoke = (call: Call, payload: unknown) => unknown;

const CLOSED: State = { kind: "closed" };

/**
 * The breaker behind `createBreaker`, `createBreakerGroup` and `withBreaker`:
 * its own state machine, reset timer, rolling window and call path. The
 * semantics and option names follow opossum's, except that a cancelled or
 * excused call counts as neither success nor failure and a half-open circuit
 * closes only on a probe's success.
 */
export class BreakerCore<Args extends unknown[], Result>
  extends EventSource<BreakerEvents>
  implements Breaker<Args, Result>
{
  readonly name: string;
  readonly #settings: BreakerSettings;
  readonly #deadlines: DeadlineQueue<Call> | undefined;
  readonly #invokeAction: Invoke;
  readonly #window: RollingWindow;
  #resetTimer: ReturnType<typeof setTimeout> | undefined;
  #consecutiveFailures = 0;
  #state: State = CLOSED;
  #closed = false;
  #successes = 0;
  #failures = 0;
  #rejects = 0;
  #timeouts = 0;

  constructor(
    action: ((...args: never[]) => unknown) | undefined,
    options: BreakerOptions | undefined,
    abortable: boolean,
    where = "createBreaker()",
    extraKeys: readonly string[] = CREATE_BREAKER_KEYS,
  ) {
    super();
    const settings = readBreakerOptions(
      options,
      (action?.name || undefined) ?? "breaker",
      where,
      extraKeys,
    );
    this.#settings = settings;
    this.name = settings.name;
    this.#deadlines =
      settings.timeoutMs === 0
        ? undefined
        : new DeadlineQueue<Call>((call) => this.#onTimeout(call));
    const target = action as ((...args: unknown[]) => unknown) | undefined;
    this.#invokeAction = !target
      ? () => undefined
      : abortable
        ? (call, args) => target(call, ...(args as unknown[]))
        : (_call, args) => target(...(args as unknown[]));
    this.#window = new RollingWindow(settings.rollingCountTimeoutMs, settings.rollingCountBuckets);

    const initial = settings.initialState;
    if (initial?.state === "halfOpen") this.#state = { kind: "halfOpen", probes: 0 };
    else if (initial?.state === "open") {
      const elapsed =
        initial.openedAt !== undefined && Date.now() - initial.openedAt > settings.resetTimeoutMs;
      // Nothing listens yet: the transition is silent.
      if (elapsed) this.#state = { kind: "halfOpen", probes: 0 };
      else this.#open();
    }
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

  stats(): BreakerStats {
    const latency = this.#window.latency();
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

  forceOpen(): void {
    if (!this.#closed && this.#state.kind !== "open") this.#open();
  }

  forceClose(): void {
    if (this.#closed) return;
    this.#consecutiveFailures = 0;
    this.#window.reset();
    if (this.#state.kind !== "closed") this.#close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    forgetBreaker(this.name, this);
    clearTimeout(this.#resetTimer);
    this.#window.close();
    this.#deadlines?.clear();
    this.removeAllListeners();
  }

  shutdown(): void {
    this.close();
  }

  #run(
    invoke: Invoke,
    payload: unknown,
    callerSignal: AbortSignal | undefined,
    isFailure: ((value: unknown) => boolean | "excused") | undefined,
  ): Promise<unknown> {
    if (this.#closed) return Promise.reject(new BreakerShutdownError(this.name));
    const state = this.#state;
    if (state.kind === "open")
      return this.#reject(state.openedAt + this.#settings.resetTimeoutMs - Date.now());
    if (state.kind === "halfOpen" && state.probes >= this.#settings.halfOpenMaxCalls) {
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
    return new Promise((resolve, reject) => {
      call.resolve = resolve;
      call.reject = reject;
      const start = performance.now();
      call.start = start;
      let result: unknown;
      try {
        result =
          probeOf === undefined ? invoke(call, payload) : runAsProbeOf(this, invoke, call, payload);
      } catch (error) {
        this.#onError(call, error);
        return;
      }
      if (!isThenable(result)) {
        this.#onValue(call, result);
        return;
      }
      this.#deadlines?.add(call, this.#settings.timeoutMs, start);
      result.then(
        (value) => this.#onValue(call, value),
        (error: unknown) => this.#onError(call, error),
      );
    });
  }

  #reject(retryAfterMs: number): Promise<never> {
    this.#rejects++;
    this.emit("reject");
    return Promise.reject(new BreakerOpenError(this.name, Math.max(0, retryAfterMs)));
  }

  /**
   * Settles `call` as the action's own outcome and returns its latency, or
   * -1 when it had already settled or its caller has gone (then it counts as
   * cancelled, neither success nor failure).
   */
  #settle(call: Call): number {
    if (call.settled) return -1;
    if (call.callerSignal?.aborted) {
      this.#onCancel(call);
      return -1;
    }
    call.settled = true;
    this.#deadlines?.remove(call);
    call.removeAbortListener();
    return performance.now() - call.start;
  }

  #onValue(call: Call, value: unknown): void {
    const latency = this.#settle(call);
    if (latency < 0) return;
    const verdict = call.isFailure ? verdictOf(call.isFailure, value) : false;
    if (verdict === "excused") this.#releaseProbe(call);
    else if (verdict) this.#recordFailure(call, new ToolResultError(value as ToolResult), latency);
    else this.#recordSuccess(call, latency);
    call.resolve(value);
  }

  #onError(call: Call, error: unknown): void {
    const latency = this.#settle(call);
    if (latency < 0) return;
    const errorFilter = this.#settings.errorFilter;
    if (errorFilter && verdictOf(errorFilter, error) === true) this.#releaseProbe(call);
    else this.#recordFailure(call, error, latency);
    call.reject(error);
  }

  #onTimeout(call: Call): void {
    if (call.settled) return;
    call.settled = true;
    call.removeAbortListener();
    const latency = performance.now() - call.start;
    const error = new BreakerTimeoutError(this.name, this.#settings.timeoutMs);
    call.abort(error);
    this.#timeouts++;
    if (this.hasListeners("timeout")) this.emit("timeout", { latencyMs: latency });
    this.#recordFailure(call, error, latency);
    call.reject(error);
  }

  #onCancel = (call: Call): void => {
    if (call.settled) return;
    call.settled = true;
    this.#deadlines?.remove(call);
    call.removeAbortListener();
    const reason = abortReason(call.callerSignal as AbortSignal);
    call.abort(reason);
    // A client that gives up says nothing about the upstream's health.
    this.#releaseProbe(call);
    call.reject(reason);
  };

  #recordSuccess(call: Call, latencyMs: number): void {
    const slow = latencyMs >= this.#settings.slowCallMs;
    const bucket = this.#window.bucket;
    bucket.successes++;
    if (slow) bucket.slowCalls++;
    this.#successes++;
    this.#consecutiveFailures = 0;
    this.#window.recordLatency(latencyMs);
    if (this.hasListeners("success")) this.emit("success", { latencyMs });
    if (call.probeOf) {
      if (this.#state !== call.probeOf) return;
      // A slow probe says the upstream has not recovered.
      if (slow) this.#open();
      else this.#close();
    } else if (slow && this.#state.kind === "closed") {
      this.#evaluate();
    }
  }

  #recordFailure(call: Call, error: unknown, latencyMs: number): void {
    this.#window.bucket.failures++;
    this.#failures++;
    this.#window.recordLatency(latencyMs);
    if (this.hasListeners("failure")) this.emit("failure", { error, latencyMs });
    if (call.probeOf) {
      if (this.#state === call.probeOf) this.#open();
    } else if (this.#state.kind === "closed") {
      const limit = this.#settings.consecutiveFailures;
      if (limit === 0) this.#evaluate();
      else if (++this.#consecutiveFailures >= limit) this.#open();
    }
  }

  /** A probe that ended without a verdict frees its slot for another probe. */
  #releaseProbe(call: Call): void {
    if (call.probeOf && this.#state === call.probeOf) call.probeOf.probes--;
  }

  #evaluate(): void {
    const { calls, failures, slowCalls } = this.#window.totals();
    const settings = this.#settings;
    if (calls === 0 || calls < settings.volumeThreshold) return;
    if (
      failures * 100 > settings.errorThresholdPercentage * calls ||
      slowCalls * 100 >= settings.slowCallPercentage * calls
    ) {
      this.#open();
    }
  }

  /** Opens the circuit and starts the timer after which probes are let through. */
  #open(): void {
    clearTimeout(this.#resetTimer);
    this.#resetTimer = setTimeout(() => {
      this.#resetTimer = undefined;
      this.#transition({ kind: "halfOpen", probes: 0 });
    }, this.#settings.resetTimeoutMs);
    this.#resetTimer.unref();
    this.#transition({ kind: "open", openedAt: Date.now() });
  }

  /** Old failures must not re-open a breaker that has just closed. */
  #close(): void {
    clearTimeout(this.#resetTimer);
    this.#resetTimer = undefined;
    this.#consecutiveFailures = 0;
    this.#window.reset();
    this.#transition(CLOSED);
  }

  #transition(next: State): void {
    const from = this.#state.kind;
    this.#state = next;
    this.emit("stateChange", { from, to: next.kind });
    this.emit(next.kind === "closed" ? "close" : next.kind);
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
/**
 * Creates a circuit breaker without an action: `execute(fn)` runs any
 * function through its one circuit, for example every call to one upstream
 * from several tools.
 *
 * @example
 * ```ts
 * import { createBreaker, withBreaker } from "@mcp-prod/breaker";
 *
 * const billing = createBreaker({ name: "billing-api", consecutiveFailures: 5 });
 * const invoice = await billing.execute(({ signal }) => fetchInvoice(id, signal));
 * server.registerTool("refund", config, withBreaker(refund, { breaker: billing }));
 * ```
 */
export function createBreaker(options?: BreakerOptions): SharedBreaker;
export function createBreaker(
  actionOrOptions?: ((...args: never[]) => unknown) | BreakerOptions,
  options?: BreakerOptions & { readonly abortable?: boolean },
): Breaker<unknown[], unknown> | SharedBreaker {
  if (options === undefined && isOptions(actionOrOptions))
    return new BreakerCore<[], undefined>(undefined, actionOrOptions, false, "createBreaker()", []);
  const action = actionOrOptions as (...args: never[]) => unknown;
  return new BreakerCore(action, options, isAbortableAction(action, options));
}

/** `createBreaker(options)`: options alone (or nothing at all) make a breaker without an action. */
function isOptions(value: unknown): value is BreakerOptions | undefined {
  return value === undefined || (typeof value === "object" && value !== null);
}
