import { traceRedis, tracerSource } from "@mcp-prod/internal";
import type { Redis } from "ioredis";
import type { CacheOperation } from "./redis-tier.ts";

const tracers = tracerSource("@mcp-prod/cache");

/** The Redis command each cache operation sends, the span's name. */
const REDIS_COMMANDS: Record<CacheOperation, string> = {
  get: "GET",
  set: "SET",
  delete: "DEL",
  clear: "SCAN",
  lock: "SET",
  unlock: "EVAL",
  publish: "PUBLISH",
  subscribe: "SUBSCRIBE",
  ping: "PING",
};

/**
 * Runs a cache tier's Redis command in a CLIENT span when an OpenTelemetry SDK
 * is registered (see `traceRedis`); otherwise only runs it.
 */
export function tracedCommand<T>(
  operation: CacheOperation,
  redis: Redis,
  run: () => Promise<T>,
  command: string = REDIS_COMMANDS[operation],
): Promise<T> {
  return traceRedis(tracers(), command, redis, run);
}
