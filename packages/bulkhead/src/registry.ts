import { createPolicyRegistry, type PolicyRegistry } from "@mcp-prod/internal";
import type { Bulkhead } from "./bulkhead.ts";

const owner = createPolicyRegistry<Bulkhead>("bulkhead", (bulkhead) => bulkhead.close());

/**
 * Every bulkhead `withBulkhead` has made from inline options, one per name in
 * the process: the tool's name under `compose`, or the `name` option. A server
 * factory that runs per request finds the bulkhead the first request made, so
 * the limit holds across requests (resilience4j's `BulkheadRegistry`).
 * `clear()` closes them all, between tests.
 *
 * @example
 * ```ts
 * import { bulkheadRegistry } from "@mcp-prod/bulkhead";
 *
 * bulkheadRegistry.get("render_report")?.stats(); // { active, queued, rejected, … }
 * ```
 */
export const bulkheadRegistry: PolicyRegistry<Bulkhead> = owner.registry;

/** The registered bulkhead for `name`, made by `create` the first time. */
export const obtainBulkhead = owner.obtain;

/** Drops a bulkhead closed by its user from the registry. */
export const forgetBulkhead = owner.forget;
