/**
 * An ioredis client (`new Redis(url)`, a `Cluster` too), typed by the few
 * members the cache checks, so the published types never import ioredis: a
 * memory-only cache compiles without ioredis installed. Any ioredis client is
 * assignable to it.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * const redis: RedisClientLike = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
 * ```
 */
export type RedisClientLike = {
  /** ioredis' connection state (`"wait"`, `"connecting"`, `"ready"`, …). */
  readonly status: string;
  get(...args: never[]): Promise<unknown>;
  set(...args: never[]): Promise<unknown>;
  duplicate(...args: never[]): unknown;
};
