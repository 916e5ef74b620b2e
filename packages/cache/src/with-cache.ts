import {
  assertFunction,
  assertKnownKeys,
  assertNonNegativeNumber,
  assertOptions,
  assertPositiveNumber,
  asToolHandler,
  optionKeys,
  readToolCall,
  type ToolHandler,
  type ToolResult,
  withResultMeta,
} from "@mcp-prod/internal";
import type { Cache, CacheSource } from "./types.ts";

/** Options of {@link withCache}. */
export type WithCacheOptions<H extends ToolHandler = ToolHandler> = {
  /** The cache the results live in (state outside the handler, shared across server instances). */
  readonly cache: Cache;
  /**
   * The cache key of one call. It receives the handler's own parameters
   * (`args, extra` for a tool with an `inputSchema`), typed like the handler.
   * Return `undefined` to skip the cache for this call.
   */
  readonly key: (...params: Parameters<H>) => string | undefined;
  /** Time to live of a cached result; defaults to the cache's `defaultTtlSeconds`. */
  readonly ttlSeconds?: number;
  /** Stale window after expiry; defaults to the cache's `staleIfErrorSeconds`. */
  readonly staleIfErrorSeconds?: number;
  /** Handler timeout; defaults to the cache's `timeoutMs`. */
  readonly timeoutMs?: number;
};

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

const WITH_CACHE_KEYS = optionKeys<WithCacheOptions>({
  cache: true,
  key: true,
  ttlSeconds: true,
  staleIfErrorSeconds: true,
  timeoutMs: true,
});

/** Carries an `isError` result through the cache without caching it. */
class UncacheableResult {
  constructor(readonly result: ToolResult) {}
}

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
): H {
  assertFunction(handler, "handler");
  assertOptions(options);
  if (options === undefined)
    throw new TypeError("Expected `options` to be an object, got undefined");
  assertKnownKeys(options, WITH_CACHE_KEYS, "withCache()", {
    ttl: "use `ttlSeconds` (seconds)",
    grace: "use `staleIfErrorSeconds`",
  });
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
