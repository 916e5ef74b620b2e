import { describe, expect, it } from "vitest";
import { assertKnownKeys } from "./index.ts";

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

describe("assertKnownKeys suggestions", () => {
  it("counts an adjacent swap as one edit, ignores case, and suggests nothing far off", () => {
    expect(() => assertKnownKeys({ chekcs: 1 }, ["checks"], "f()")).toThrow(
      "did you mean `checks`?",
    );
    expect(() => assertKnownKeys({ DrainMS: 1 }, ["drainMs"], "f()")).toThrow(
      "did you mean `drainMs`?",
    );
    expect(() => assertKnownKeys({ critcal: 1 }, ["critical", "timeoutMs"], "f()")).toThrow(
      "did you mean `critical`?",
    );
    expect(() => assertKnownKeys({ host: 1 }, ["connectionString", "connection"], "f()")).toThrow(
      "expected one of `connectionString`, `connection`",
    );
  });
});
