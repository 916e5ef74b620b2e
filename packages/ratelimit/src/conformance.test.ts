import { testToolWrapper } from "@mcp-prod/testkit/wrapper";
import { compose, createRateLimiter, RATE_LIMIT_META_KEY, withRateLimit } from "./index.ts";

testToolWrapper("withRateLimit", (handler, limiter) => withRateLimit(handler, { limiter }), {
  context: () => createRateLimiter({ name: "conformance", points: 100, durationSeconds: 60 }),
  close: (limiter) => limiter.close(),
  metaKey: RATE_LIMIT_META_KEY,
  spreadKeepsSignal: true,
  metaOn: { success: true, errorResult: true },
});

testToolWrapper(
  "withRateLimit as a policy",
  (handler, limiter) => compose("weather", handler, withRateLimit({ limiter })),
  {
    context: () => createRateLimiter({ name: "conformance", points: 100, durationSeconds: 60 }),
    close: (limiter) => limiter.close(),
    metaKey: RATE_LIMIT_META_KEY,
    metaOn: { success: true, errorResult: true },
    spreadKeepsSignal: true,
  },
);
