import { testToolWrapper } from "@mcp-prod/testkit/wrapper";
import { BREAKER_META_KEY, compose, createBreaker, withBreaker } from "./index.ts";

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

testToolWrapper(
  "withBreaker as a policy",
  (handler, breaker) => compose("weather", handler, withBreaker({ breaker })),
  {
    context: () => createBreaker({ timeout: false }),
    close: (breaker) => breaker.close(),
    metaKey: BREAKER_META_KEY,
    spreadKeepsSignal: true,
  },
);
