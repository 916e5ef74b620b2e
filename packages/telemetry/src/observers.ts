import {
  assertFunction,
  assertOptions,
  assertString,
  isOpossumBreaker,
  type OpossumBreaker,
  observeOpossum,
} from "@mcp-prod/internal";
import type { Registry } from "prom-client";
import { TelemetryError } from "./errors.ts";
import { boundedLabel, knownLabel } from "./labels.ts";
import {
  BREAKER_STATES,
  createBreakerMetrics,
  createCacheMetrics,
  createIdempotencyMetrics,
  createLimiterMetrics,
  createPoolMetrics,
  IDEMPOTENCY_EVENTS,
} from "./metric-families.ts";
import type {
  AnyListener,
  BreakerEvents,
  CacheEvents,
  IdempotencyEvents,
  Observable,
  ObservedBreaker,
  ObservedCache,
  ObservedIdempotencyStore,
  ObservedPool,
  ObservedRateLimiter,
  ObservedRegistry,
  PoolEvents,
  RateLimiterEvents,
} from "./observed-contracts.ts";
import { addSpanEvent } from "./span-events.ts";

const BREAKER_STATE_SET: ReadonlySet<string> = new Set(BREAKER_STATES);
const CACHE_TIERS: ReadonlySet<string> = new Set(["l1", "l2"]);

type Kind = "breaker" | "cache" | "pool" | "limiter" | "idempotency store";

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
  readonly #registries = new Set<() => void>();
  #breakerMetrics: ReturnType<typeof createBreakerMetrics> | undefined;
  #cacheMetrics: ReturnType<typeof createCacheMetrics> | undefined;
  #poolMetrics: ReturnType<typeof createPoolMetrics> | undefined;
  #limiterMetrics: ReturnType<typeof createLimiterMetrics> | undefined;
  #idempotencyMetrics: ReturnType<typeof createIdempotencyMetrics> | undefined;

  constructor(registry: Registry) {
    this.#registry = registry;
  }

  observeBreaker(given: ObservedBreaker | OpossumBreaker): () => void {
    // An opossum CircuitBreaker is read through the toolkit's breaker shape.
    const breaker: ObservedBreaker = isOpossumBreaker(given) ? observeOpossum(given) : given;
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

  /**
   * Counts an idempotency store's events by tool in
   * `mcp_idempotency_events_total{store,tool,event}` and adds each to the
   * active span as `mcp_prod.idempotency.<event>`.
   */
  observeIdempotency(store: ObservedIdempotencyStore): () => void {
    return this.#observe("idempotency store", store, (name) => {
      this.#idempotencyMetrics ??= createIdempotencyMetrics(this.#registry);
      const { events } = this.#idempotencyMetrics;
      const listen = listenTo<IdempotencyEvents>(store);
      return IDEMPOTENCY_EVENTS.map((event) =>
        listen(event, (payload?: { tool?: unknown; waitedMs?: unknown; reason?: unknown }) => {
          const tool = typeof payload?.tool === "string" ? payload.tool : "";
          events.inc({ store: name, tool, event });
          addSpanEvent(`mcp_prod.idempotency.${event}`, {
            "mcp_prod.idempotency.store": name,
            ...(typeof payload?.waitedMs === "number" ? { waited_ms: payload.waitedMs } : {}),
            ...(typeof payload?.reason === "string" ? { reason: payload.reason } : {}),
          });
        }),
      );
    });
  }

  /**
   * Observes every object `registry` holds and each one it makes later, with
   * `observeOne`. One that replaces a closed one of the same name takes over
   * its series. Returns the function that stops observing them all.
   */
  observeRegistry<T>(
    kind: Kind,
    registry: ObservedRegistry<T>,
    observeOne: (value: T) => () => void,
  ): () => void {
    assertFunction(registry?.values, `${kind}Registry.values`);
    assertFunction(registry?.on, `${kind}Registry.on`);
    const observed = new Map<string, () => void>();
    const add = (value: T) => {
      const name = (value as { name?: unknown })?.name;
      if (typeof name === "string") observed.get(name)?.();
      const stop = observeOne(value);
      if (typeof name === "string") observed.set(name, stop);
    };
    for (const value of registry.values()) add(value);
    const off = registry.on("add", ({ value }) => add(value));
    const release = () => {
      if (typeof off === "function") off();
      for (const stop of observed.values()) stop();
      observed.clear();
    };
    this.#registries.add(release);
    return release;
  }

  /** Removes every listener this telemetry added; the metrics keep their last values. */
  close(): void {
    for (const release of this.#registries) release();
    this.#registries.clear();
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
        "EDUPLICATENAME",
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
