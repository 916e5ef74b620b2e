import { testToolWrapper } from "@mcp-prod/testkit/wrapper";
import { compose, TIMEOUT_META_KEY, withTimeout } from "./index.ts";

testToolWrapper("withTimeout", (handler) => withTimeout(handler, { timeoutMs: 10_000 }), {
  metaKey: TIMEOUT_META_KEY,
  spreadKeepsSignal: true,
});

testToolWrapper(
  "withTimeout as a policy",
  (handler) => compose("weather", handler, withTimeout(10_000)),
  { metaKey: TIMEOUT_META_KEY, spreadKeepsSignal: true },
);
