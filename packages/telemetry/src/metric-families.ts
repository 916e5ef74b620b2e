import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { TelemetryError } from "./errors.ts";
import type { ObservedBreaker, ObservedPool } from "./observed-contracts.ts";

/** The breaker states `mcp_breaker_state` has a series for. */
export const BREAKER_STATES = ["closed", "open", "halfOpen"] as const;
/** Pool acquire waits: sub-millisecond for a warm pool up to the seconds of an exhausted one. */
const ACQUIRE_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

/**
 * Runs a prom-client metric constructor, turning the registry's duplicate-name
 * error into a `TelemetryError` that says what to do about it.
 */
export function registerMetric<M>(create: () => M): M {
  try {
    return create();
  } catch (error) {
    if (error instanceof Error && /already been registered/.test(error.message)) {
      throw new TelemetryError(
        "EMETRICCONFLICT",
        `${error.message}: each registry takes one telemetry; pass a new prom-client Registry or share the telemetry`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** A broken `stats()` must not fail the whole scrape: that object's gauges are skipped instead. */
function readStats<S>(target: { stats(): S }): S | undefined {
  try {
    return target.stats();
  } catch {
    return undefined;
  }
}

function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
): Counter<L> {
  return registerMetric(() => new Counter({ name, help, labelNames, registers: [registry] }));
}

/** The breaker families; `mcp_breaker_state` reads each breaker's `stats()` at scrape time. */
export function createBreakerMetrics(
  registry: Registry,
  breakers: ReadonlyMap<string, ObservedBreaker>,
) {
  registerMetric(
    () =>
      new Gauge({
        name: "mcp_breaker_state",
        help: "Circuit breaker state: 1 for the state the breaker is in, 0 for the others",
        labelNames: ["breaker", "state"],
        registers: [registry],
        collect() {
          this.reset();
          for (const [name, breaker] of breakers) {
            const current = readStats(breaker)?.state;
            if (current === undefined) continue;
            for (const state of BREAKER_STATES)
              this.set({ breaker: name, state }, current === state ? 1 : 0);
          }
        },
      }),
  );
  return {
    transitions: counter(
      registry,
      "mcp_breaker_transitions_total",
      "Circuit breaker state transitions",
      ["breaker", "from", "to"],
    ),
    calls: counter(
      registry,
      "mcp_breaker_calls_total",
      "Calls that went through the circuit breaker, by result",
      ["breaker", "result"],
    ),
    rejects: counter(
      registry,
      "mcp_breaker_rejects_total",
      "Calls rejected without running because the circuit breaker was open",
      ["breaker"],
    ),
    timeouts: counter(
      registry,
      "mcp_breaker_timeouts_total",
      "Calls the circuit breaker timed out",
      ["breaker"],
    ),
  };
}

/** The cache families, by cache and tier. */
export function createCacheMetrics(registry: Registry) {
  return {
    hits: counter(registry, "mcp_cache_hits_total", "Cache hits by tier (l1 in memory, l2 Redis)", [
      "cache",
      "tier",
    ]),
    misses: counter(
      registry,
      "mcp_cache_misses_total",
      "Cache misses by tier (l1 in memory, l2 Redis)",
      ["cache", "tier"],
    ),
    stale: counter(
      registry,
      "mcp_cache_stale_served_total",
      "Stale values served while the source was slow or failing",
      ["cache"],
    ),
    errors: counter(
      registry,
      "mcp_cache_errors_total",
      "Cache backend (Redis) errors by operation",
      ["cache", "operation"],
    ),
  };
}

type PoolStats = ReturnType<ObservedPool["stats"]>;

/** The pool families; the connection gauges read each pool's `stats()` at scrape time. */
export function createPoolMetrics(registry: Registry, pools: ReadonlyMap<string, ObservedPool>) {
  const statGauge = (name: string, help: string, read: (stats: PoolStats) => number) =>
    registerMetric(
      () =>
        new Gauge({
          name,
          help,
          labelNames: ["pool"],
          registers: [registry],
          collect() {
            this.reset();
            for (const [pool, target] of pools) {
              const stats = readStats(target);
              const value = stats ? read(stats) : undefined;
              if (typeof value === "number" && Number.isFinite(value)) this.set({ pool }, value);
            }
          },
        }),
    );
  statGauge("mcp_pool_connections", "Open connections in the pool", (stats) => stats.total);
  statGauge("mcp_pool_idle_connections", "Idle connections in the pool", (stats) => stats.idle);
  statGauge(
    "mcp_pool_waiting_requests",
    "Callers waiting for a connection",
    (stats) => stats.waiting,
  );
  statGauge("mcp_pool_max_connections", "Configured pool size", (stats) => stats.max);
  return {
    acquire: registerMetric(
      () =>
        new Histogram({
          name: "mcp_pool_acquire_seconds",
          help: "Time spent waiting to acquire a connection",
          labelNames: ["pool"],
          buckets: ACQUIRE_BUCKETS,
          registers: [registry],
        }),
    ),
    errors: counter(registry, "mcp_pool_errors_total", "Pool connection errors", ["pool"]),
    leaks: counter(
      registry,
      "mcp_pool_leaks_total",
      "Connections held past the leak-detection threshold",
      ["pool"],
    ),
  };
}

/** The rate limiter families. */
/** The events of an idempotency store, counted by `observeIdempotency`. */
export const IDEMPOTENCY_EVENTS = [
  "replayed",
  "waited",
  "mismatch",
  "inProgress",
  "notStored",
  "storeError",
] as const;

export function createIdempotencyMetrics(registry: Registry) {
  return {
    events: counter(
      registry,
      "mcp_idempotency_events_total",
      "Idempotency outcomes: duplicates replayed or waited for, mismatched keys, results not stored, store errors",
      ["store", "tool", "event"],
    ),
  };
}

export function createLimiterMetrics(registry: Registry) {
  return {
    limited: counter(registry, "mcp_ratelimit_limited_total", "Calls refused by the rate limiter", [
      "limiter",
    ]),
    errors: counter(registry, "mcp_ratelimit_errors_total", "Rate limiter backend errors", [
      "limiter",
    ]),
  };
}
