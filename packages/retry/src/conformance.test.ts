import { testToolWrapper } from "@mcp-prod/testkit/wrapper";
import { compose, RETRY_META_KEY, withRetry } from "./index.ts";

testToolWrapper("withRetry", (handler) => withRetry(handler, { idempotent: true }), {
  metaKey: RETRY_META_KEY,
  spreadKeepsSignal: true,
  metaOn: { success: true, errorResult: true },
});

testToolWrapper(
  "withRetry as a policy",
  (handler) => compose("weather", handler, withRetry({ idempotent: true })),
  {
    metaKey: RETRY_META_KEY,
    metaOn: { success: true, errorResult: true },
    spreadKeepsSignal: true,
  },
);
