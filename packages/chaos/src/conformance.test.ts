import { testToolWrapper } from "@mcp-prod/testkit/wrapper";
import { CHAOS_META_KEY, compose, createChaos, withChaos } from "./index.ts";

testToolWrapper("withChaos while disabled", (handler, chaos) => withChaos(handler, chaos), {
  context: () => createChaos({ errorResult: { rate: 1 }, latency: { rate: 1, ms: 60_000 } }),
  metaKey: CHAOS_META_KEY,
  spreadKeepsSignal: true,
});

testToolWrapper("withChaos injecting latency", (handler, chaos) => withChaos(handler, chaos), {
  context: () => createChaos({ enabled: true, latency: { rate: 1, ms: 5 } }),
  metaKey: CHAOS_META_KEY,
  spreadKeepsSignal: true,
});

testToolWrapper(
  "withChaos as a policy",
  (handler, chaos) => compose("weather", handler, withChaos(chaos)),
  {
    context: () => createChaos({ enabled: true, latency: { rate: 1, ms: 5 } }),
    metaKey: CHAOS_META_KEY,
    spreadKeepsSignal: true,
  },
);
