import { testToolWrapper } from "@mcp-prod/testkit/wrapper";
import { BREAKER_META_KEY, compose, createBreaker, withBreaker, withTimeout } from "./index.ts";

// spreadKeepsSignal stays off: on SDK 1.x the breaker hands the handler an `extra` whose
// `signal` is a prototype getter, which `{ ...extra }` drops.
testToolWrapper("withBreaker", (handler, breaker) => withBreaker(handler, { breaker }), {
  context: () => createBreaker(async () => undefined, { timeout: false }),
  close: (breaker) => breaker.shutdown(),
  metaKey: BREAKER_META_KEY,
});

testToolWrapper("withBreaker without a breaker", (handler) => withBreaker(handler), {
  metaKey: BREAKER_META_KEY,
});

testToolWrapper("withTimeout", (handler) => withTimeout(handler, { timeoutMs: 10_000 }), {
  metaKey: BREAKER_META_KEY,
});

testToolWrapper(
  "withBreaker and withTimeout as policies",
  (handler, breaker) =>
    compose("weather", handler, withBreaker({ breaker }), withTimeout({ timeoutMs: 10_000 })),
  {
    context: () => createBreaker(async () => undefined, { timeout: false }),
    close: (breaker) => breaker.shutdown(),
    metaKey: BREAKER_META_KEY,
  },
);
