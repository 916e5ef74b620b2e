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

describe("a fallback that is neither a handler nor a tool result is refused at once", () => {
  it("withFallback({ fallbak }) in the policy form names `fallback`", () => {
    expect(() => withFallback(loose({ fallbak: async () => fixed }))).toThrow(
      new TypeError("Unknown option `fallbak` in withFallback(); did you mean `fallback`?"),
    );
  });

  it("withFallback({}) is no fallback: an empty object would be served as an empty answer", () => {
    expect(() => withFallback(loose({}))).toThrow(
      new TypeError(
        "Expected `fallback` to be a tool handler or a tool result ({ content: [...] }), got an empty object",
      ),
    );
    expect(() => withFallback(handler, loose({}))).toThrow(/got an empty object/);
  });

  it("an option given without `fallback` says so", () => {
    expect(() => withFallback(loose({ timeoutMs: 3000 }))).toThrow(
      new TypeError(
        "withFallback() got `timeoutMs` without `fallback`: pass { fallback, timeoutMs, … }",
      ),
    );
  });

  it("a fixed result with a misspelt field, or with neither content nor structuredContent, is refused", () => {
    expect(() => withFallback(handler, loose({ contnet: [] }))).toThrow(
      new TypeError(
        "Unknown option `contnet` in withFallback()'s `fallback` result; did you mean `content`?",
      ),
    );
    expect(() => withFallback(handler, [fixed, loose({ isError: true })])).toThrow(
      "Expected `fallback[1]` to be a tool handler or a tool result ({ content: [...] }), got a result with neither `content` nor `structuredContent`",
    );
    expect(() => withFallback(loose({ fallback: loose({ isError: true }) }))).toThrow(
      /`fallback` to be a tool handler or a tool result/,
    );
  });

  it("still takes a fixed result, a handler and options as before", () => {
    expect(() => withFallback(fixed)).not.toThrow();
    expect(() =>
      withFallback({ structuredContent: { temperature: 0 }, content: [] }),
    ).not.toThrow();
    expect(() => withFallback(async () => fixed)).not.toThrow();
    expect(() => withFallback({ fallback: fixed, timeoutMs: 3000 })).not.toThrow();
  });
});
