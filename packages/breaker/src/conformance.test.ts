import { testToolWrapper } from "@mcp-prod/testkit/wrapper";
import { BREAKER_META_KEY, createBreaker, withBreaker, withTimeout } from "./index.ts";

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
