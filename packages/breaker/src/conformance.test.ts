import { testToolWrapper } from "@mcp-prod/testkit/wrapper";
import { BREAKER_META_KEY, compose, createBreaker, withBreaker, withTimeout } from "./index.ts";

testToolWrapper("withBreaker", (handler, breaker) => withBreaker(handler, { breaker }), {
  context: () => createBreaker({ timeout: false }),
  close: (breaker) => breaker.close(),
  metaKey: BREAKER_META_KEY,
  spreadKeepsSignal: true,
});

testToolWrapper("withBreaker without a breaker", (handler) => withBreaker(handler), {
  metaKey: BREAKER_META_KEY,
  spreadKeepsSignal: true,
});

testToolWrapper("withTimeout", (handler) => withTimeout(handler, { timeoutMs: 10_000 }), {
  metaKey: BREAKER_META_KEY,
  spreadKeepsSignal: true,
});

testToolWrapper(
  "withBreaker and withTimeout as policies",
  (handler, breaker) =>
    compose("weather", handler, withBreaker({ breaker }), withTimeout({ timeoutMs: 10_000 })),
  {
    context: () => createBreaker({ timeout: false }),
    close: (breaker) => breaker.close(),
    metaKey: BREAKER_META_KEY,
    spreadKeepsSignal: true,
  },
);
