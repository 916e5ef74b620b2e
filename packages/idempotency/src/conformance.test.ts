import { randomUUID } from "node:crypto";
import { testToolWrapper } from "@mcp-prod/testkit/wrapper";
import { compose, createMemoryStore, IDEMPOTENCY_META_KEY, withIdempotency } from "./index.ts";

testToolWrapper("withIdempotency", (handler, store) => withIdempotency(handler, { store }), {
  context: () => createMemoryStore(),
  close: (store) => store.close(),
  metaKey: IDEMPOTENCY_META_KEY,
  spreadKeepsSignal: true,
});

// Every call with a key of its own: each goes through the store as a first call.
testToolWrapper(
  "withIdempotency with a key per call",
  (handler, store) => withIdempotency(handler, { store, key: () => randomUUID() }),
  {
    context: () => createMemoryStore(),
    close: (store) => store.close(),
    metaKey: IDEMPOTENCY_META_KEY,
    spreadKeepsSignal: true,
  },
);

testToolWrapper(
  "withIdempotency as a policy",
  (handler, store) =>
    compose("weather", handler, withIdempotency({ store, key: () => randomUUID() })),
  {
    context: () => createMemoryStore(),
    close: (store) => store.close(),
    metaKey: IDEMPOTENCY_META_KEY,
    spreadKeepsSignal: true,
  },
);
