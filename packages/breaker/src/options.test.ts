import { describe, expect, it } from "vitest";
import { createBreaker, createBreakerGroup, withBreaker } from "./index.ts";

const action = async () => "ok";
const handler = async () => ({ content: [{ type: "text" as const, text: "ok" }] });

/** Options as a JavaScript caller or a config file would pass them: unchecked by tsc. */
const loose = (options: Record<string, unknown>) => options as never;

describe("unknown options are refused at once, naming the key and the right one", () => {
  it.each([
    ["resetTimout", "did you mean `resetTimeout`?"],
    ["errorThresholdPercent", "did you mean `errorThresholdPercentage`?"],
    ["timeoutMS", "did you mean `timeout`?"],
    ["capacity", "not supported here: a concurrency limit is @mcp-prod/bulkhead"],
    ["halfOpenAfter", "use `resetTimeout` (milliseconds)"],
  ])("createBreaker({ %s }) says %s", (key, suggestion) => {
    expect(() => createBreaker(action, loose({ [key]: 1 }))).toThrow(
      new TypeError(
        `Unknown option \`${key}\` in createBreaker()${suggestion.startsWith("did") ? "; " : ": "}${suggestion}`,
      ),
    );
  });

  it("createBreakerGroup names its own typos, maxBreakers included", () => {
    expect(() => createBreakerGroup(action, loose({ maxBreaker: 10 }))).toThrow(
      new TypeError(
        "Unknown option `maxBreaker` in createBreakerGroup(); did you mean `maxBreakers`?",
      ),
    );
    expect(() => createBreakerGroup(action, loose({ resetTimout: 10 }))).toThrow(
      /`resetTimout` in createBreakerGroup\(\); did you mean `resetTimeout`\?/,
    );
  });

  it("withBreaker refuses typos of both tool and breaker options", () => {
    expect(() => withBreaker(handler, loose({ openMesage: "down" }))).toThrow(
      new TypeError("Unknown option `openMesage` in withBreaker(); did you mean `openMessage`?"),
    );
    expect(() => withBreaker(handler, loose({ resetTimout: 1000 }))).toThrow(
      new TypeError("Unknown option `resetTimout` in withBreaker(); did you mean `resetTimeout`?"),
    );
  });

  it("withBreaker with a shared breaker refuses breaker options it would ignore", () => {
    const breaker = createBreaker(action);
    expect(() => withBreaker(handler, loose({ breaker, timeout: 10 }))).toThrow(
      new TypeError(
        "Unknown option `timeout` in withBreaker(): set it in the shared breaker's own options",
      ),
    );
    breaker.close();
  });

  it("initialState refuses a misspelt field", () => {
    expect(() =>
      createBreaker(action, loose({ initialState: { state: "open", openedAtt: 1 } })),
    ).toThrow(/`openedAtt` in createBreaker\(\) `initialState`; did you mean `openedAt`\?/);
  });
});
