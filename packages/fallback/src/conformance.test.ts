import { testToolWrapper, type WrappedToolResult } from "@mcp-prod/testkit/wrapper";
import { expect } from "vitest";
import { compose, FALLBACK_META_KEY, withFallback } from "./index.ts";

const fallback = { content: [{ type: "text" as const, text: "Forecast unavailable, try later" }] };

/** An isError result is a failure to fall back from, unless fallbackOnErrorResult is false. */
function answeredByFallback(result: WrappedToolResult): void {
  expect(result.isError).toBeFalsy();
  expect(result.content).toEqual(fallback.content);
  expect(result._meta?.[FALLBACK_META_KEY]).toEqual({
    degraded: true,
    reason: "errorResult",
    attempt: 1,
  });
}

testToolWrapper("withFallback", (handler) => withFallback(handler, fallback), {
  metaKey: FALLBACK_META_KEY,
  metaOn: { errorResult: true },
  errorResult: answeredByFallback,
  spreadKeepsSignal: true,
});

testToolWrapper(
  "withFallback with fallbackOnErrorResult: false",
  (handler) => withFallback(handler, fallback, { fallbackOnErrorResult: false }),
  { metaKey: FALLBACK_META_KEY, spreadKeepsSignal: true },
);

testToolWrapper(
  "withFallback as a policy",
  (handler) => compose("weather", handler, withFallback(fallback)),
  {
    metaKey: FALLBACK_META_KEY,
    metaOn: { errorResult: true },
    errorResult: answeredByFallback,
    spreadKeepsSignal: true,
  },
);

testToolWrapper(
  "withFallback as a policy with options",
  (handler) =>
    compose("weather", handler, withFallback({ fallback, fallbackOnErrorResult: false })),
  { metaKey: FALLBACK_META_KEY, spreadKeepsSignal: true },
);
