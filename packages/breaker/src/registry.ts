import { createPolicyRegistry, type PolicyRegistry } from "@mcp-prod/internal";
import type { SharedBreaker } from "./types.ts";

const owner = createPolicyRegistry<SharedBreaker>("breaker", (breaker) => breaker.close());

/**
 * Every breaker `withBreaker` has made from inline options, one per name in
 * the process: the tool's name under `compose`, or the `name` option. A server
 * factory that runs per request finds the breaker the first request made, so
 * the circuit opens however the `McpServer` is built (resilience4j's
 * `CircuitBreakerRegistry`). Read one by name, observe them all (metrics,
 * health), or close them: `clear()` between tests.
 *
 * @example
 * ```ts
 * import { breakerRegistry } from "@mcp-prod/breaker";
 *
 * telemetry.observeBreakers(breakerRegistry); // every breaker compose makes, now or later
 * breakerRegistry.get("forecast")?.state; // "closed" | "open" | "halfOpen"
 * ```
 */
export const breakerRegistry: PolicyRegistry<SharedBreaker> = owner.registry;

/** The registered breaker for `name`, made by `create` the first time. */
export const obtainBreaker = owner.obtain;

/** Drops a breaker closed by its user from the registry. */
export const forgetBreaker = owner.forget;
