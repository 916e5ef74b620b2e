import { describe, expect, it } from "vitest";
import { assertKnownKeys, closestKey, editDistance } from "./index.ts";

const known = ["timeoutMs", "resetTimeout", "errorThresholdPercentage", "name"] as const;

describe("assertKnownKeys", () => {
  it("accepts known keys and non-objects", () => {
    expect(() =>
      assertKnownKeys({ timeoutMs: 1, name: "x" }, known, "createThing()"),
    ).not.toThrow();
    expect(() => assertKnownKeys(undefined, known, "createThing()")).not.toThrow();
  });

  it("names a typo and the key it most likely meant", () => {
    expect(() => assertKnownKeys({ resetTimout: 1 }, known, "createBreaker()")).toThrow(
      new TypeError(
        "Unknown option `resetTimout` in createBreaker(); did you mean `resetTimeout`?",
      ),
    );
    expect(() => assertKnownKeys({ timeoutMS: 1 }, known, "f()")).toThrow(
      /did you mean `timeoutMs`\?/,
    );
    expect(() => assertKnownKeys({ errorThresholdPercent: 1 }, known, "f()")).toThrow(
      /did you mean `errorThresholdPercentage`\?/,
    );
  });

  it("refuses a misspelt key even when its value is undefined", () => {
    expect(() => assertKnownKeys({ nmae: undefined }, known, "f()")).toThrow(/`nmae`.*`name`/);
  });

  it("says where another library's name lives here", () => {
    expect(() =>
      assertKnownKeys({ ttl: 5 }, ["ttlSeconds"], "withCache()", {
        ttl: "use `ttlSeconds` (seconds)",
      }),
    ).toThrow(new TypeError("Unknown option `ttl` in withCache(): use `ttlSeconds` (seconds)"));
  });

  it("lists the known keys when nothing is close", () => {
    expect(() => assertKnownKeys({ zzzzzzzzzz: 1 }, ["a", "b"], "f()")).toThrow(
      "Unknown option `zzzzzzzzzz` in f(); expected one of `a`, `b`",
    );
  });
});

describe("closestKey", () => {
  it("counts an adjacent swap as one edit and ignores case", () => {
    expect(editDistance("chekcs", "checks")).toBe(1);
    expect(editDistance("DrainMS", "drainMs")).toBe(0);
    expect(closestKey("critcal", ["critical", "timeoutMs"])).toBe("critical");
    expect(closestKey("host", ["connectionString", "connection"])).toBeUndefined();
  });
});
