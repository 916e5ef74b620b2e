import type { BreakerEvents, BreakerState } from "./events.ts";

/**
 * The part of an opossum `CircuitBreaker` (8.x and 9.x) the toolkit reads,
 * typed structurally: no package imports opossum, which stays an optional peer
 * of the breaker.
 */
export type OpossumBreaker = {
  readonly name: string;
  readonly opened: boolean;
  readonly halfOpen: boolean;
  readonly closed: boolean;
  readonly stats: {
    readonly successes: number;
    readonly failures: number;
    readonly rejects: number;
    readonly timeouts: number;
    readonly latencyMean: number;
    readonly percentiles: Readonly<Record<string, number>>;
  };
  fire(...args: never[]): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: an EventEmitter's listener, whatever it is given
  on(event: string, listener: (...args: any[]) => void): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: an EventEmitter's listener, whatever it is given
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
};

/**
 * Whether `value` is an opossum `CircuitBreaker`: a `fire` method, the
 * `opened`/`halfOpen`/`closed` flags and a `stats` object (ours has a
 * `state` and a `stats()` method instead).
 */
export function isOpossumBreaker(value: unknown): value is OpossumBreaker {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<Record<keyof OpossumBreaker, unknown>>;
  return (
    typeof candidate.fire === "function" &&
    typeof candidate.opened === "boolean" &&
    typeof candidate.halfOpen === "boolean" &&
    typeof candidate.stats === "object" &&
    typeof candidate.on === "function"
  );
}

/** An opossum breaker's state in the toolkit's words. */
export function opossumState(breaker: OpossumBreaker): BreakerState {
  if (breaker.halfOpen) return "halfOpen";
  return breaker.opened ? "open" : "closed";
}

/**
 * Milliseconds until an open opossum breaker lets a probe through: its
 * `resetTimeout` from when its timer started, 0 when it is not open.
 */
export function opossumRetryAfterMs(breaker: OpossumBreaker, now = Date.now()): number {
  if (!breaker.opened) return 0;
  const resetTimeout = (breaker as { options?: { resetTimeout?: unknown } }).options?.resetTimeout;
  const openedAt = (breaker as { toJSON?: () => { state?: { lastTimerAt?: unknown } } }).toJSON?.()
    .state?.lastTimerAt;
  if (typeof resetTimeout !== "number" || typeof openedAt !== "number") return 0;
  return Math.max(0, openedAt + resetTimeout - now);
}

/** What telemetry and health read of a breaker, the shape of `@mcp-prod/breaker`'s. */
export type ObservableBreaker = {
  readonly name: string;
  readonly state: BreakerState;
  on<Name extends keyof BreakerEvents>(name: Name, listener: BreakerEvents[Name]): () => void;
  stats(): {
    readonly state: BreakerState;
    readonly successes: number;
    readonly failures: number;
    readonly rejects: number;
    readonly timeouts: number;
    readonly latencyMean: number;
    readonly latencyP99: number;
  };
};

// biome-ignore lint/suspicious/noExplicitAny: opossum's event arguments, read positionally
type Translate = (...args: any[]) => unknown[] | undefined;

/**
 * opossum's events in the toolkit's shape: each listener gets the payload
 * object our breaker passes, and `stateChange` is derived from `open`,
 * `halfOpen` and `close`. The value is a return of `translate`; `undefined`
 * drops the event.
 */
const OPOSSUM_EVENTS: { readonly [Name in keyof BreakerEvents]: readonly [string, Translate] } = {
  open: ["open", () => []],
  halfOpen: ["halfOpen", () => []],
  close: ["close", () => []],
  stateChange: ["", () => undefined],
  success: ["success", (_result: unknown, latencyMs: number) => [{ latencyMs }]],
  failure: ["failure", (error: unknown, latencyMs: number) => [{ error, latencyMs }]],
  timeout: ["timeout", (_error: unknown, latencyMs: number) => [{ latencyMs }]],
  reject: ["reject", () => []],
};

const TRANSITIONS = [
  ["open", "open"],
  ["halfOpen", "halfOpen"],
  ["close", "closed"],
] as const;

/**
 * An opossum breaker seen through the toolkit's breaker shape, for telemetry's
 * `observeBreaker` and health's `breakerCheck`: `on(event, listener)` returns
 * the remover and passes our payloads, `stats()` and `state` read opossum's.
 *
 * @example
 * ```ts
 * const observed = isOpossumBreaker(breaker) ? observeOpossum(breaker) : breaker;
 * observed.on("stateChange", ({ from, to }) => transitions.inc({ from, to }));
 * ```
 */
export function observeOpossum(breaker: OpossumBreaker): ObservableBreaker {
  return {
    get name() {
      return breaker.name;
    },
    get state() {
      return opossumState(breaker);
    },
    on(name, listener) {
      const call = listener as (...args: unknown[]) => void;
      if (name === "stateChange") {
        let from = opossumState(breaker);
        const removers = TRANSITIONS.map(([event, to]) => {
          const onTransition = () => {
            const change = { from, to };
            from = to;
            call(change);
          };
          breaker.on(event, onTransition);
          return () => breaker.removeListener(event, onTransition);
        });
        return () => {
          for (const remove of removers) remove();
        };
      }
      const [event, translate] = OPOSSUM_EVENTS[name];
      const onEvent = (...args: unknown[]) => {
        const payload = translate(...args);
        if (payload !== undefined) call(...payload);
      };
      breaker.on(event, onEvent);
      return () => breaker.removeListener(event, onEvent);
    },
    stats() {
      const { successes, failures, rejects, timeouts, latencyMean, percentiles } = breaker.stats;
      const p99 = percentiles["0.99"];
      return {
        state: opossumState(breaker),
        successes,
        failures,
        rejects,
        timeouts,
        latencyMean: Math.max(0, latencyMean),
        latencyP99: typeof p99 === "number" && p99 > 0 ? p99 : 0,
      };
    },
  };
}
