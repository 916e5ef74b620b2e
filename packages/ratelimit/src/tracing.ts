import { traceRedis, tracerSource } from "@mcp-prod/internal";
import { RateLimiterRes } from "rate-limiter-flexible";

const tracers = tracerSource("@mcp-prod/ratelimit");

/**
 * Runs one Redis consume (rate-limiter-flexible's Lua script, sent as
 * `EVALSHA`) in a CLIENT span when an OpenTelemetry SDK is registered; a
 * refusal is an answer, not a failed command.
 */
export function tracedConsume<T>(redis: object, run: () => Promise<T>): Promise<T> {
  return traceRedis(tracers(), "EVALSHA", redis, run, (error) => error instanceof RateLimiterRes);
}
