import { testToolWrapper } from "@mcp-prod/testkit/wrapper";
import { CACHE_META_KEY, compose, createCache, withCache } from "./index.ts";

testToolWrapper(
  "withCache",
  (handler, cache) =>
    withCache(handler, { cache, key: (args) => `weather:${args.city}:${args.days}` }),
  {
    context: () => createCache({ name: "conformance" }),
    close: (cache) => cache.close(),
    metaKey: CACHE_META_KEY,
    spreadKeepsSignal: true,
    metaOn: { success: true },
  },
);

testToolWrapper(
  "withCache as a policy",
  (handler, cache) =>
    compose(
      "weather",
      handler,
      withCache({ cache, key: (args) => `weather:${args.city}:${args.days}` }),
    ),
  {
    context: () => createCache({ name: "conformance" }),
    close: (cache) => cache.close(),
    metaKey: CACHE_META_KEY,
    metaOn: { success: true },
    spreadKeepsSignal: true,
  },
);
