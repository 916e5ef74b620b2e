import { testToolWrapper } from "@mcp-prod/testkit/wrapper";
import { BULKHEAD_META_KEY, compose, createBulkhead, withBulkhead } from "./index.ts";

testToolWrapper("withBulkhead", (handler, bulkhead) => withBulkhead(handler, { bulkhead }), {
  context: () => createBulkhead({ name: "conformance", limit: 2, queue: 2 }),
  close: (bulkhead) => bulkhead.close(),
  metaKey: BULKHEAD_META_KEY,
  spreadKeepsSignal: true,
});

testToolWrapper(
  "withBulkhead with its own bulkhead",
  (handler) => withBulkhead(handler, { limit: 1 }),
  {
    metaKey: BULKHEAD_META_KEY,
    spreadKeepsSignal: true,
  },
);

testToolWrapper(
  "withBulkhead as a policy",
  (handler, bulkhead) => compose("weather", handler, withBulkhead({ bulkhead })),
  {
    context: () => createBulkhead({ name: "conformance", limit: 2, queue: 2 }),
    close: (bulkhead) => bulkhead.close(),
    metaKey: BULKHEAD_META_KEY,
    spreadKeepsSignal: true,
  },
);
