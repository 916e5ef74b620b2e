import { assertFunction, assertOptions, assertString } from "@mcp-prod/internal";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { TelemetryError } from "./errors.ts";
import { boundedLabel, knownLabel } from "./labels.ts";
import { addSpanEvent } from "./span-events.ts";

/**
 * Anything with the mcp-prod event shape: `on(event, listener)` returning the
 * function that removes the listener (an `off(event, listener)` method works too).
 *
 * @example
 * ```ts
 * const events = new EventEmitter();
 * telemetry.observeRateLimiter(Object.assign(events, { name: "legacy" }));
 * ```
 */
export type Observable<Events extends Record<string, AnyListener>> = {
  readonly name: string;
  // Listeners are typed loosely on purpose: an emitter with more events than
  // telemetry reads, or narrower payloads (`tier: "l1" | "l2"`), still fits.
  on(event: keyof Events & string, listener: AnyListener): unknown;
  off?(event: keyof Events & string, listener: AnyListener): unknown;
};

// biome-ignore lint/suspicious/noExplicitAny: any listener shape fits an emitter's on(), see Observable
type AnyListener = (...args: any[]) => void;

/**
 * The breaker events telemetry listens to, as `@mcp-prod/breaker` emits them.
 *
 * @example
 * ```ts
 * breaker.on("stateChange", ({ from, to }) => console.log(`${from} → ${to}`));
 * ```
 */
export type BreakerEvents = {
  stateChange: (change: { readonly from: string; readonly to: string }) => void;
  success: (latencyMs: number) => void;
  failure: (error: unknown, latencyMs: number) => void;
  timeout: (latencyMs: number) => void;
  reject: () => void;
};

/**
 * A circuit breaker as telemetry sees it: `@mcp-prod/breaker`'s, or any object
 * of the same shape. Telemetry never imports the breaker package.
 *
 * @example
 * ```ts
 * const stop = telemetry.observeBreaker(createBreaker(fetchForecast, { name: "forecast-api" }));
 * ```
 */
export type ObservedBreaker = Observable<BreakerEvents> & {
  stats(): { readonly state: string };
};

/**
 * The cache events telemetry listens to, as `@mcp-prod/cache` emits them.
 *
 * @example
 * ```ts
 * cache.on("hit", ({ tier }) => console.log(`hit in ${tier}`));
 * ```
 */
export type CacheEvents = {
  hit: (event: { readonly key: string; readonly tier: string }) => void;
  miss: (event: { readonly key: string; readonly tier: string }) => void;
  stale: (event: { readonly key: string }) => void;
  error: (event: { readonly operation: string; readonly error: unknown }) => void;
};

/**
 * A two-tier cache as telemetry sees it (`@mcp-prod/cache`'s shape).
 *
 * @example
 * ```ts
 * telemetry.observeCache(createCache({ name: "users", redis }));
 * ```
 */
export type ObservedCache = Observable<CacheEvents>;

/**
 * The pool events telemetry listens to, as `@mcp-prod/pool` emits them.
 *
 * @example
 * ```ts
 * pool.on("acquire", ({ waitMs }) => console.log(`waited ${waitMs} ms`));
 * ```
 */
export type PoolEvents = {
  acquire: (event: { readonly waitMs: number }) => void;
  error: (error: unknown) => void;
  leak: (event: { readonly checkedOutMs: number; readonly stack?: string | undefined }) => void;
};

/**
 * A connection pool as telemetry sees it (`@mcp-prod/pool`'s shape).
 *
 * @example
 * ```ts
 * telemetry.observePool(createPool({ connectionString: process.env.DATABASE_URL, name: "primary" }));
 * ```
 */
export type ObservedPool = Observable<PoolEvents> & {
  stats(): {
    readonly total: number;
    readonly idle: number;
    readonly waiting: number;
    readonly max: number;
  };
};

/**
 * The rate-limiter events telemetry listens to, as `@mcp-prod/ratelimit` emits them.
 *
 * @example
 * ```ts
 * limiter.on("limited", ({ retryAfterMs }) => console.log(`retry in ${retryAfterMs} ms`));
 * ```
 */
export type RateLimiterEvents = {
  limited: (event: { readonly key: string; readonly retryAfterMs: number }) => void;
  error: (event: { readonly error: unknown }) => void;
};

/**
 * A rate limiter as telemetry sees it (`@mcp-prod/ratelimit`'s shape).
 *
 * @example
 * ```ts
 * telemetry.observeRateLimiter(createRateLimiter({ name: "tools", points: 30, durationSeconds: 60 }));
 * ```
 */
export type ObservedRateLimiter = Observable<RateLimiterEvents>;

const BREAKER_STATES = ["closed", "open", "halfOpen"] as const;
const BREAKER_STATE_SET: ReadonlySet<string> = new Set(BREAKER_STATES);
const CACHE_TIERS: ReadonlySet<string> = new Set(["l1", "l2"]);
/** Pool acquire waits: sub-millisecond for a warm pool up to the seconds of an exhausted one. */
const ACQUIRE_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

type Kind = "breaker" | "cache" | "pool" | "limiter";

/** One observed object: its listeners' removers, so it can be let go. */
type Entry = { readonly target: object; readonly release: () => void };

/**
 * The observers of one telemetry: metric families are registered the first
 * time an object of their kind is observed, so `/metrics` lists only what the
 * server uses, and gauges read `stats()` at scrape time rather than on a timer.
 */
export class Observers {
  readonly #registry: Registry;
  readonly #entries = new Map<Kind, Map<string, Entry>>();
  readonly #breakers = new Map<string, ObservedBreaker>();
  readonly #pools = new Map<string, ObservedPool>();
  #breakerMetrics: ReturnType<typeof createBreakerMetrics> | undefined;
  #cacheMetrics: ReturnType<typeof createCacheMetrics> | undefined;
  #poolMetrics: ReturnType<typeof createPoolMetrics> | undefined;
  #limiterMetrics: ReturnType<typeof createLimiterMetrics> | undefined;

  constructor(registry: Registry) {
    this.#registry = registry;
  }

  observeBreaker(breaker: ObservedBreaker): () => void {
    assertFunction(breaker?.stats, "breaker.stats");
    return this.#observe("breaker", breaker, (name) => {
      this.#breakerMetrics ??= createBreakerMetrics(this.#registry, this.#breakers);
      const { transitions, rejects, timeouts, calls } = this.#breakerMetrics;
      const labels = { breaker: name };
      for (const result of ["success", "failure"]) calls.inc({ ...labels, result }, 0);
      rejects.inc(labels, 0);
      timeouts.inc(labels, 0);
      const success = calls.labels({ ...labels, result: "success" });
      const failure = calls.labels({ ...labels, result: "failure" });
      this.#breakers.set(name, breaker);
      const listen = listenTo<BreakerEvents>(breaker);
      return [
        listen("stateChange", (change) => {
          const from = knownLabel(change?.from, BREAKER_STATE_SET);
          const to = knownLabel(change?.to, BREAKER_STATE_SET);
          transitions.inc({ ...labels, from, to });
          addSpanEvent("mcp_prod.breaker.state_change", { "mcp_prod.breaker": name, from, to });
        }),
        listen("success", () => success.inc()),
        listen("failure", () => failure.inc()),
        listen("timeout", () => timeouts.inc(labels)),
        listen("reject", () => {
          rejects.inc(labels);
          addSpanEvent("mcp_prod.breaker.rejected", { "mcp_prod.breaker": name });
        }),
        () => this.#breakers.delete(name),
      ];
    });
  }

  observeCache(cache: ObservedCache): () => void {
    return this.#observe("cache", cache, (name) => {
      this.#cacheMetrics ??= createCacheMetrics(this.#registry);
      const { hits, misses, stale, errors } = this.#cacheMetrics;
      const operation = boundedLabel(16);
      for (const tier of CACHE_TIERS) {
        hits.inc({ cache: name, tier }, 0);
        misses.inc({ cache: name, tier }, 0);
      }
      stale.inc({ cache: name }, 0);
      const listen = listenTo<CacheEvents>(cache);
      return [
        listen("hit", (event) => {
          const tier = knownLabel(event?.tier, CACHE_TIERS);
          hits.inc({ cache: name, tier });
          addSpanEvent("mcp_prod.cache.hit", { "mcp_prod.cache": name, tier });
        }),
        listen("miss", (event) =>
          misses.inc({ cache: name, tier: knownLabel(event?.tier, CACHE_TIERS) }),
        ),
        listen("stale", () => {
          stale.inc({ cache: name });
          addSpanEvent("mcp_prod.cache.stale_served", { "mcp_prod.cache": name });
        }),
        listen("error", (event) =>
          errors.inc({ cache: name, operation: operation(event?.operation) }),
        ),
      ];
    });
  }

  observePool(pool: ObservedPool): () => void {
    assertFunction(pool?.stats, "pool.stats");
    return this.#observe("pool", pool, (name) => {
      this.#poolMetrics ??= createPoolMetrics(this.#registry, this.#pools);
      const { acquire, errors, leaks } = this.#poolMetrics;
      const labels = { pool: name };
      errors.inc(labels, 0);
      leaks.inc(labels, 0);
      const wait = acquire.labels(labels);
      this.#pools.set(name, pool);
      const listen = listenTo<PoolEvents>(pool);
      return [
        listen("acquire", (event) => {
          const waitMs = event?.waitMs;
          if (typeof waitMs === "number" && Number.isFinite(waitMs) && waitMs >= 0)
            wait.observe(waitMs / 1000);
        }),
        listen("error", () => errors.inc(labels)),
        listen("leak", () => leaks.inc(labels)),
        () => this.#pools.delete(name),
      ];
    });
  }

  observeRateLimiter(limiter: ObservedRateLimiter): () => void {
    return this.#observe("limiter", limiter, (name) => {
      this.#limiterMetrics ??= createLimiterMetrics(this.#registry);
      const { limited, errors } = this.#limiterMetrics;
      const labels = { limiter: name };
      limited.inc(labels, 0);
      errors.inc(labels, 0);
      const listen = listenTo<RateLimiterEvents>(limiter);
      return [
        listen("limited", (event) => {
          limited.inc(labels);
          const retryAfterMs = event?.retryAfterMs;
          addSpanEvent("mcp_prod.ratelimit.limited", {
            "mcp_prod.ratelimit": name,
            ...(typeof retryAfterMs === "number" ? { retry_after_ms: retryAfterMs } : {}),
          });
        }),
        listen("error", () => errors.inc(labels)),
      ];
    });
  }

  /** Removes every listener this telemetry added; the metrics keep their last values. */
  close(): void {
    for (const entries of this.#entries.values()) {
      for (const entry of [...entries.values()]) entry.release();
    }
  }

  #observe<T extends Observable<never>>(
    kind: Kind,
    target: T,
    subscribe: (name: string) => Array<() => void>,
  ): () => void {
    assertOptions(target, kind);
    assertString(target.name, `${kind}.name`);
    assertFunction(target.on, `${kind}.on`);
    let entries = this.#entries.get(kind);
    if (!entries) {
      entries = new Map();
      this.#entries.set(kind, entries);
    }
    const { name } = target;
    const existing = entries.get(name);
    if (existing) {
      if (existing.target === target) return existing.release;
      throw new TelemetryError(
        "ETELEMETRY_DUPLICATE_NAME",
        `A different ${kind} named ${JSON.stringify(name)} is already observed; give each ${kind} its own name`,
      );
    }
    const removers = subscribe(name);
    const owned = entries;
    const release = () => {
      if (owned.get(name)?.target !== target) return;
      owned.delete(name);
      for (const remove of removers) remove();
    };
    entries.set(name, { target, release });
    return release;
  }
}

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
        "ETELEMETRY_METRIC_CONFLICT",
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

/** The `listen(event, listener)` of one observed object, returning the remover whatever its `on` returns. */
function listenTo<Events extends Record<string, AnyListener>>(target: Observable<Events>) {
  return <Name extends keyof Events & string>(
    event: Name,
    listener: Events[Name],
  ): (() => void) => {
    const remove = target.on(event, listener as AnyListener);
    if (typeof remove === "function") return remove as () => void;
    return () => {
      target.off?.(event, listener as AnyListener);
    };
  };
}

function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
): Counter<L> {
  return registerMetric(() => new Counter({ name, help, labelNames, registers: [registry] }));
}

function createBreakerMetrics(registry: Registry, breakers: ReadonlyMap<string, ObservedBreaker>) {
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

function createCacheMetrics(registry: Registry) {
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

function createPoolMetrics(registry: Registry, pools: ReadonlyMap<string, ObservedPool>) {
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

function createLimiterMetrics(registry: Registry) {
  return {
    limited: counter(registry, "mcp_ratelimit_limited_total", "Calls refused by the rate limiter", [
      "limiter",
    ]),
    errors: counter(registry, "mcp_ratelimit_errors_total", "Rate limiter backend errors", [
      "limiter",
    ]),
  };
}
