import {
  assertFunction,
  assertKnownKeys,
  assertNonNegativeNumber,
  assertOptions,
  assertPositiveNumber,
  asToolHandler,
  defineWrapper,
  readToolCall,
  type ToolHandler,
  type ToolPolicy,
  type ToolResult,
  withResultMeta,
} from "@mcp-prod/internal";
import { WITH_CACHE_FOREIGN_KEYS, WITH_CACHE_KEYS, type WithCacheOptions } from "./options.ts";
import type { CacheSource } from "./types.ts";

/** What `withCache` records in the result's `_meta["mcp-prod/cache"]`. */
export type CacheResultMeta = {
  /** True when the result came from a cache tier, not from running the handler for this call. */
  readonly hit: boolean;
  /** True when an expired result was served because the handler failed or was slow. */
  readonly stale: boolean;
  readonly source: CacheSource;
};

/** The `_meta` key `withCache` writes. */
export const CACHE_META_KEY = "mcp-prod/cache";

/** Carries an `isError` result through the cache without caching it. */
class UncacheableResult {
  constructor(readonly result: ToolResult) {}
}

/** The handler form of {@link withCache}: caches `handler`'s results in `options.cache`. */
export function wrapWithCache<H extends ToolHandler>(
  handler: H,
  options: WithCacheOptions<NoInfer<H>>,
): H {
  assertFunction(handler, "handler");
  assertOptions(options);
  if (options === undefined)
    throw new TypeError("Expected `options` to be an object, got undefined");
  assertKnownKeys(options, WITH_CACHE_KEYS, "withCache()", WITH_CACHE_FOREIGN_KEYS);
  const { cache, key, ttlSeconds, staleIfErrorSeconds, timeoutMs } = options;
  if (typeof cache !== "object" || cache === null || typeof cache.getOrSetEntry !== "function") {
    throw new TypeError("Expected `cache` to be a cache from createCache()");
  }
  assertFunction(key, "key");
  assertPositiveNumber(ttlSeconds, "ttlSeconds", true);
  assertNonNegativeNumber(staleIfErrorSeconds, "staleIfErrorSeconds", true);
  assertPositiveNumber(timeoutMs, "timeoutMs", true);

  const invoke = handler as unknown as (...params: unknown[]) => ToolResult | Promise<ToolResult>;
  const wrapped = async (...params: unknown[]): Promise<ToolResult> => {
    const call = readToolCall(params);
    const cacheKey = key(...(params as Parameters<H>));
    if (cacheKey === undefined) return invoke(...params);
    try {
      const entry = await cache.getOrSetEntry<ToolResult>(
        cacheKey,
        async () => {
          const result = await invoke(...params);
          if (result.isError === true) throw new UncacheableResult(result);
          return result;
        },
        {
          ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
          ...(staleIfErrorSeconds === undefined ? {} : { staleIfErrorSeconds }),
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
          ...(call.signal === undefined ? {} : { signal: call.signal }),
        },
      );
      const meta: CacheResultMeta = {
        hit: entry.source !== "origin",
        stale: entry.stale,
        source: entry.source,
      };
      return withResultMeta(entry.value, CACHE_META_KEY, meta);
    } catch (error) {
      if (error instanceof UncacheableResult) return error.result;
      throw error;
    }
  };
  return asToolHandler<H>(wrapped);
}

const dispatch = defineWrapper({
  kind: "cache",
  wrap: wrapWithCache,
  policy: (options: WithCacheOptions) => {
    if (options === undefined)
      throw new TypeError("Expected `options` to be an object, got undefined");
    assertOptions(options);
    assertKnownKeys(options, WITH_CACHE_KEYS, "withCache()", WITH_CACHE_FOREIGN_KEYS);
    return (handler) => wrapWithCache(handler, options);
  },
});

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
  return dispatch(params);
}
