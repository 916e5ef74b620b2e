import { createPolicyRegistry, type PolicyRegistry } from "@mcp-prod/internal";
import type { RateLimiter } from "./limiter.ts";

const owner = createPolicyRegistry<RateLimiter>("rate limiter", (limiter) => {
  void limiter.close();
});

/**
 * Every limiter `withRateLimit` has made from inline options
 * (`withRateLimit({ points, durationSeconds })`), one per name in the process:
 * the tool's name under `compose`, or the `name` option. A server factory that
 * runs per request finds the limiter the first request made, so the counts
 * outlive the `McpServer` (resilience4j's `RateLimiterRegistry`). `clear()`
 * closes them all, between tests.
 *
 * @example
 * ```ts
 * import { rateLimiterRegistry } from "@mcp-prod/ratelimit";
 *
 * for (const limiter of rateLimiterRegistry) telemetry.observeRateLimiter(limiter);
 * rateLimiterRegistry.on("add", ({ value }) => telemetry.observeRateLimiter(value));
 * ```
 */
export const rateLimiterRegistry: PolicyRegistry<RateLimiter> = owner.registry;

/** The registered limiter for `name`, made by `create` the first time. */
export const obtainLimiter = owner.obtain;

/** Drops a limiter closed by its user from the registry. */
export const forgetLimiter = owner.forget;
