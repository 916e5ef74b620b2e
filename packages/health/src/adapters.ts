import {
  assertKnownKeys,
  assertOptions,
  assertString,
  type BreakerState,
  isOpossumBreaker,
  type OpossumBreaker,
  opossumState,
  optionKeys,
} from "@mcp-prod/internal";
import type { CheckFunction, HealthStatus } from "./checks.ts";
import { HealthError } from "./errors.ts";

/**
 * Anything with a pg-style `query(text)`: a `pg.Pool`, a `pg.Client`, an `@mcp-prod/pool` pool.
 *
 * @example
 * ```ts
 * const pool: QueryablePool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export type QueryablePool = {
  query(text: string): Promise<unknown>;
};

const PG_CHECK_KEYS = optionKeys<{ readonly query?: string }>({ query: true });

/**
 * A check that runs `SELECT 1` (or `options.query`) on a pg pool. It imports
 * nothing from `pg`: any object with `query(text)` works.
 *
 * @example
 * ```ts
 * import pg from "pg";
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const health = createHealth({ checks: { database: pgCheck(pool) } });
 * ```
 */
export function pgCheck(pool: QueryablePool, options?: { readonly query?: string }): CheckFunction {
  if (typeof pool?.query !== "function")
    throw new TypeError("Expected `pool` to have a query(text) method");
  assertOptions(options);
  assertKnownKeys(options, PG_CHECK_KEYS, "pgCheck()");
  const { query = "SELECT 1" } = options ?? {};
  assertString(query, "query");
  return async () => {
    await pool.query(query);
  };
}

/**
 * An ioredis client (`status`) or a node-redis v4+ client (`isReady`): both
 * answer `ping()`.
 *
 * @example
 * ```ts
 * const client: PingableRedis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
 * ```
 */
export type PingableRedis = {
  ping(): Promise<unknown>;
  readonly status?: string;
  readonly isReady?: boolean;
};

// ioredis queues commands while it reconnects, so a PING would wait for the
// timeout; these states already say the answer.
const disconnected = new Set(["reconnecting", "close", "end"]);

/**
 * A check that sends `PING` and expects `PONG`. A client that knows it is
 * disconnected (ioredis `status`, node-redis `isReady`) fails at once instead
 * of queueing the PING until the timeout.
 *
 * @example
 * ```ts
 * import Redis from "ioredis";
 * const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
 * const health = createHealth({ checks: { cache: { check: redisCheck(redis), critical: false } } });
 * ```
 */
export function redisCheck(client: PingableRedis): CheckFunction {
  if (typeof client?.ping !== "function")
    throw new TypeError("Expected `client` to have a ping() method");
  return async () => {
    if (client.status !== undefined && disconnected.has(client.status))
      throw new HealthError("ECHECKFAILED", `Redis client is ${client.status}`);
    if (client.isReady === false)
      throw new HealthError("ECHECKFAILED", "Redis client is not ready");
    const reply = await client.ping();
    if (reply !== "PONG")
      throw new HealthError("ECHECKFAILED", `Redis answered PING with ${String(reply)}`);
  };
}

export type { BreakerState };

/**
 * An `@mcp-prod/breaker` breaker, or anything shaped like it: a
 * `healthCheck()` reporting a status, or `stats().state`.
 *
 * @example
 * ```ts
 * const breaker: BreakerLike = { stats: () => ({ state: "closed" }) };
 * ```
 */
export type BreakerLike =
  | { healthCheck(): HealthStatus | Promise<HealthStatus> }
  | { stats(): { readonly state: BreakerState } }
  | OpossumBreaker;

const stateStatus: Readonly<Record<BreakerState, HealthStatus>> = {
  closed: "healthy",
  halfOpen: "degraded",
  open: "unhealthy",
};

/**
 * A registry of breakers by name, as `@mcp-prod/breaker`'s `breakerRegistry`
 * holds the ones `compose` configures inline.
 */
export type BreakerRegistryLike = { get(name: string): BreakerLike | undefined };

/**
 * A check reading a circuit breaker: closed is healthy, half-open degraded,
 * open unhealthy. It prefers the breaker's own `healthCheck()` and falls back
 * to `stats().state`. Given a registry and a name, it reads the breaker of that
 * name at each check, so a breaker `compose` makes on the first request is
 * checked from then on (healthy until it exists: no call has failed yet).
 *
 * @example
 * ```ts
 * const health = createHealth({
 *   checks: {
 *     upstream: { check: breakerCheck(upstreamBreaker), critical: false },
 *     forecast: { check: breakerCheck(breakerRegistry, "forecast"), critical: false },
 *   },
 * });
 * ```
 */
export function breakerCheck(breaker: BreakerLike): CheckFunction;
export function breakerCheck(registry: BreakerRegistryLike, name: string): CheckFunction;
export function breakerCheck(
  breaker: BreakerLike | BreakerRegistryLike,
  name?: string,
): CheckFunction {
  if (name !== undefined) {
    const registry = breaker as Partial<BreakerRegistryLike>;
    if (typeof registry?.get !== "function")
      throw new TypeError("Expected a breaker registry with get(name), such as breakerRegistry");
    assertString(name, "name");
    const checks = new WeakMap<object, CheckFunction>();
    return (context) => {
      const found = registry.get?.(name);
      if (found === undefined) return "healthy";
      let check = checks.get(found);
      if (check === undefined) {
        check = breakerCheck(found);
        checks.set(found, check);
      }
      return check(context);
    };
  }
  // An opossum CircuitBreaker: its opened/halfOpen flags, read at each check.
  if (isOpossumBreaker(breaker)) return () => stateStatus[opossumState(breaker)];
  const candidate = breaker as Partial<{
    healthCheck: () => HealthStatus | Promise<HealthStatus>;
    stats: () => { readonly state: BreakerState };
  }>;
  if (typeof candidate?.healthCheck === "function") {
    const healthCheck = candidate.healthCheck.bind(breaker);
    return () => healthCheck();
  }
  if (typeof candidate?.stats === "function") {
    const stats = candidate.stats.bind(breaker);
    return () => {
      const { state } = stats();
      const status = stateStatus[state];
      if (status === undefined)
        throw new HealthError("ECHECKFAILED", `Unknown breaker state ${String(state)}`);
      return status;
    };
  }
  throw new TypeError("Expected `breaker` to have a healthCheck() or stats() method");
}
