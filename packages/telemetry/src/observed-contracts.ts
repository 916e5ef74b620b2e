import type {
  BreakerEvents,
  CacheEvents,
  IdempotencyEvents,
  PoolEvents,
  RateLimiterEvents,
} from "@mcp-prod/internal";

// The event maps are the packages' own declarations (one file in the private
// internal package, inlined into each build), not copies that could drift.
export type { BreakerEvents, CacheEvents, IdempotencyEvents, PoolEvents, RateLimiterEvents };

/**
 * An idempotency store as telemetry sees it (`@mcp-prod/idempotency`'s
 * `createMemoryStore()`, `createRedisStore()`, `createPostgresStore()`).
 *
 * @example
 * ```ts
 * telemetry.observeIdempotency(createRedisStore({ redis }));
 * ```
 */
export type ObservedIdempotencyStore = Observable<IdempotencyEvents>;

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
export type AnyListener = (...args: any[]) => void;

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
 * A two-tier cache as telemetry sees it (`@mcp-prod/cache`'s shape).
 *
 * @example
 * ```ts
 * telemetry.observeCache(createCache({ name: "users", redis }));
 * ```
 */
export type ObservedCache = Observable<CacheEvents>;

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
 * A rate limiter as telemetry sees it (`@mcp-prod/ratelimit`'s shape).
 *
 * @example
 * ```ts
 * telemetry.observeRateLimiter(createRateLimiter({ name: "tools", points: 30, durationSeconds: 60 }));
 * ```
 */
export type ObservedRateLimiter = Observable<RateLimiterEvents>;

/**
 * A registry of the objects policies configured inline made, one per name
 * (`breakerRegistry` of `@mcp-prod/breaker`, `rateLimiterRegistry` of
 * `@mcp-prod/ratelimit`): what it holds now, and each one it makes later.
 *
 * @example
 * ```ts
 * telemetry.observeBreakers(breakerRegistry);
 * ```
 */
export type ObservedRegistry<T> = {
  values(): Iterable<T>;
  on(
    event: "add",
    listener: (entry: { readonly name: string; readonly value: T }) => void,
  ): unknown;
};
