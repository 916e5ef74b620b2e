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
