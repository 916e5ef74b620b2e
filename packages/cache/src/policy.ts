import { assertOptions, definePolicy, type ToolHandler, type ToolPolicy } from "@mcp-prod/internal";
import { type WithCacheOptions, withCache as wrapInCache } from "./with-cache.ts";

/**
 * Caches a tool handler's results. A thrown error or an `isError` result is
 * never cached (with a stale result at hand, that is served instead and marked
 * `stale` in `_meta`); concurrent calls with the same key run the handler
 * once. The handler receives its parameters unchanged, `extra.signal`
 * included, and a cancelled call stops waiting at once.
 *
 * @example
 * ```ts
 * server.registerTool(
 *   "weather",
 *   { inputSchema: { city: z.string() } },
 *   withCache(async ({ city }) => textResult(await forecast(city)), {
 *     cache,
 *     key: ({ city }) => `weather:${city}`,
 *     ttlSeconds: 60,
 *   }),
 * );
 * ```
 */
export function withCache<H extends ToolHandler>(
  handler: H,
  options: WithCacheOptions<NoInfer<H>>,
): H;
/**
 * The cache as a policy for `compose(name, handler, ...policies)`; `key`'s
 * parameters are typed from the handler it ends up wrapping. Its place in the
 * order is inside the breaker and the timeout, next to the handler.
 *
 * @example
 * ```ts
 * import { compose, withCache } from "@mcp-prod/cache";
 *
 * server.registerTool(
 *   "weather",
 *   { inputSchema: { city: z.string() } },
 *   compose("weather", weatherHandler, withCache({ cache, key: ({ city }) => `weather:${city}` })),
 * );
 * ```
 */
export function withCache<H extends ToolHandler = ToolHandler>(
  options: WithCacheOptions<H>,
): ToolPolicy<H>;
export function withCache(...params: unknown[]): unknown {
  if (typeof params[0] === "function" || params.length > 1)
    return wrapInCache(params[0] as ToolHandler, params[1] as WithCacheOptions);
  const options = params[0] as WithCacheOptions;
  if (options === undefined)
    throw new TypeError("Expected `options` to be an object, got undefined");
  assertOptions(options);
  return definePolicy("cache", (handler: ToolHandler) => wrapInCache(handler, options));
}
