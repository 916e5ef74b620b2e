import { describe, expect, it } from "vitest";
import { createCache, withCache } from "./index.ts";

/** Options as a JavaScript caller or a config file would pass them: unchecked by tsc. */
const loose = (options: Record<string, unknown>) => options as never;
const handler = async () => ({ content: [{ type: "text" as const, text: "ok" }] });

describe("unknown options are refused at once, naming the key and the right one", () => {
  it.each([
    ["defaultTTLSeconds", "; did you mean `defaultTtlSeconds`?"],
    ["maxEntires", "; did you mean `maxEntries`?"],
    ["ttl", ": use `defaultTtlSeconds` (seconds); per call, `ttlSeconds`"],
    [
      "grace",
      ": use `staleIfErrorSeconds` (how long an expired value may still be served when the factory fails)",
    ],
  ])("createCache({ %s })", (key, suggestion) => {
    expect(() => createCache(loose({ [key]: 1 }))).toThrow(
      new TypeError(`Unknown option \`${key}\` in createCache()${suggestion}`),
    );
  });

  it("per-call options name bentocache's `ttl` and `grace`", async () => {
    const cache = createCache();
    await expect(cache.getOrSet("k", () => 1, loose({ ttl: 60 }))).rejects.toThrow(
      new TypeError("Unknown option `ttl` in cache.getOrSet(): use `ttlSeconds` (seconds)"),
    );
    await expect(cache.set("k", 1, loose({ grace: 60 }))).rejects.toThrow(
      /Unknown option `grace` in cache.set\(\): use `staleIfErrorSeconds`/,
    );
    await expect(cache.set("k", 1, loose({ ttlSecond: 60 }))).rejects.toThrow(
      new TypeError("Unknown option `ttlSecond` in cache.set(); did you mean `ttlSeconds`?"),
    );
    await expect(cache.clear(loose({ prefx: "a" }))).rejects.toThrow(
      new TypeError("Unknown option `prefx` in cache.clear(); did you mean `prefix`?"),
    );
    await cache.close();
  });

  it("withCache names its typos", async () => {
    const cache = createCache();
    expect(() => withCache(handler, loose({ cache, key: () => "k", ttlSecond: 5 }))).toThrow(
      new TypeError("Unknown option `ttlSecond` in withCache(); did you mean `ttlSeconds`?"),
    );
    expect(() => withCache(handler, loose({ cache, key: () => "k", ttl: 5 }))).toThrow(
      new TypeError("Unknown option `ttl` in withCache(): use `ttlSeconds` (seconds)"),
    );
    await cache.close();
  });
});
