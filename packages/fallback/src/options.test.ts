import { describe, expect, it } from "vitest";
import { fallbackChain, fetchWithFallback, withFallback } from "./index.ts";

/** Options as a JavaScript caller or a config file would pass them: unchecked by tsc. */
const loose = (options: Record<string, unknown>) => options as never;
const handler = async () => ({ content: [{ type: "text" as const, text: "live" }] });
const fixed = { content: [{ type: "text" as const, text: "cached" }] };

describe("unknown options are refused at once, naming the key and the right one", () => {
  it("withFallback({ onFalback }) names `onFallback`", () => {
    expect(() => withFallback(handler, fixed, loose({ onFalback: () => {} }))).toThrow(
      new TypeError("Unknown option `onFalback` in withFallback(); did you mean `onFallback`?"),
    );
    expect(() => withFallback(handler, fixed, loose({ timeoutMS: 10 }))).toThrow(
      new TypeError("Unknown option `timeoutMS` in withFallback(); did you mean `timeoutMs`?"),
    );
  });

  it("withFallback refuses `signal`: a wrapper's signal is each call's own", () => {
    expect(() => withFallback(handler, fixed, loose({ signal: AbortSignal.timeout(10) }))).toThrow(
      /Unknown option `signal` in withFallback\(\)/,
    );
  });

  it("fetchWithFallback and fallbackChain reject with the typo named", async () => {
    await expect(
      fetchWithFallback(
        async () => 1,
        async () => 2,
        loose({ onFalback: () => {} }),
      ),
    ).rejects.toThrow(
      new TypeError(
        "Unknown option `onFalback` in fetchWithFallback(); did you mean `onFallback`?",
      ),
    );
    await expect(
      fallbackChain([async () => 1], loose({ shouldFallback: () => true })),
    ).rejects.toThrow(
      new TypeError(
        "Unknown option `shouldFallback` in fallbackChain(): use `when` (return false for errors a fallback must not hide)",
      ),
    );
  });
});
