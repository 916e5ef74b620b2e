/**
 * @mcp-prod/idempotency against `makeIdempotent` from
 * @aws-lambda-powertools/idempotency, contenders interleaved: every round runs
 * each contender once in turn, and the tables report the median over rounds
 * (ratios are medians of per-round ratios).
 *
 * - Memory: what withIdempotency adds to a call that is not a replay, over
 *   the bare handler: a call without a key, and a first call with a fresh key
 *   (claim, run, store the result).
 * - Redis: first calls with fresh keys and replays of a stored key, our Redis
 *   store (ioredis) vs Powertools' CachePersistenceLayer (@redis/client), at
 *   concurrency 1 and 16. Powertools runs outside Lambda as documented for
 *   any function: `makeIdempotent(fn, { persistenceStore, config })`, keyed
 *   by `eventKeyJmesPath`.
 *
 * Run: pnpm bench (builds first), or pnpm --filter @mcp-prod/idempotency build && pnpm --filter
 * @mcp-prod/idempotency bench   (starts a redis-server of its own on a free port)
 */

import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { existsSync } from "node:fs";
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { CachePersistenceLayer } from "@aws-lambda-powertools/idempotency/cache";
import { startRedis } from "@mcp-prod/testkit";
import { type Contender, interleaved, printTable } from "@mcp-prod/testkit/bench";
import { createClient } from "@redis/client";
import { Redis } from "ioredis";

// The built package, as users run it (tsx's keepNames would handicap only our side).
const distEntry = new URL("../dist/index.js", import.meta.url);
if (!existsSync(distEntry)) {
  throw new Error(
    "Build first: pnpm --filter @mcp-prod/idempotency build (pnpm bench does it for you)",
  );
}
const { createMemoryStore, createRedisStore, IDEMPOTENCY_KEY_META, withIdempotency } =
  (await import(distEntry.href)) as typeof import("../src/index.ts");

// A redis-server of the bench's own: the first calls leave hundreds of thousands of
// records (Powertools' keys carry no prefix to clear them by), gone when it stops.
const privateRedis = await startRedis();
const REDIS_URL = privateRedis.url;
const ROUNDS = 9;
const PREFIX = `bench:idempotency:${randomUUID()}:`;

type Args = { readonly to: string; readonly body: string };
const ARGS: Args = { to: "ada@example.com", body: "Your invoice INV-2026-001 is ready." };
const RESULT = { content: [{ type: "text" as const, text: "Notification 4242 accepted" }] };
const handler = async (_args: Args, _extra: object) => RESULT;
// One signal shared by every call of the bench (a server gives each request its own): as
// many calls as the concurrency listen to it at once, each removing its listener when done.
const signal = new AbortController().signal;
setMaxListeners(64, signal);
const extraWith = (key: string) => ({
  signal,
  requestId: 1,
  _meta: { [IDEMPOTENCY_KEY_META]: key },
});
const NO_KEY = { signal, requestId: 1 };

// ---- memory: the cost added to a call that is not a replay
{
  const store = createMemoryStore();
  const wrapped = withIdempotency(handler, { store, name: "send" });
  let counter = 0;
  const contenders: Contender[] = [
    { name: "bare handler", start: () => () => handler(ARGS, NO_KEY) },
    { name: "withIdempotency, no key", start: () => () => wrapped(ARGS, NO_KEY) },
    {
      name: "withIdempotency, fresh key (memory)",
      start: () => () => wrapped(ARGS, extraWith(`k${counter++}`)),
    },
  ];
  const at = await interleaved(contenders, { rounds: ROUNDS, sampleMs: 300, batch: 1000 });
  printTable(
    "Memory store: a call that is not a replay",
    contenders,
    at,
    "bare handler",
    "bare handler",
  );
  console.log(
    `added per call: no key ${(at("withIdempotency, no key") - at("bare handler")).toFixed(3)} µs, fresh key ${(at("withIdempotency, fresh key (memory)") - at("bare handler")).toFixed(3)} µs`,
  );
  await store.close();
}

// ---- Redis: ours vs Powertools, first calls and replays, concurrency 1 and 16
const ioredis = new Redis(REDIS_URL);
const nodeRedis = await createClient({ url: REDIS_URL }).connect();
const ours = withIdempotency(handler, {
  store: createRedisStore({ redis: ioredis, prefix: PREFIX }),
  name: "send",
});
const config = new IdempotencyConfig({ eventKeyJmesPath: "key" });
// Outside Lambda, the documented stand-in for the invocation's context (its remaining time).
config.registerLambdaContext({ getRemainingTimeInMillis: () => 60_000 } as never);
const powertools = makeIdempotent(async (_event: Args & { key: string }) => RESULT, {
  persistenceStore: new CachePersistenceLayer({ client: nodeRedis as never }),
  config,
});

// One stored key each, for the replays.
await ours(ARGS, extraWith("replayed"));
await powertools({ ...ARGS, key: `${PREFIX}replayed` });

function parallel(concurrency: number) {
  return async (call: () => Promise<unknown>, batch: number) => {
    for (let done = 0; done < batch; done += concurrency)
      await Promise.all(Array.from({ length: concurrency }, () => call()));
  };
}

for (const concurrency of [1, 16]) {
  let counter = 0;
  const contenders: Contender[] = [
    { name: "ours: first call", start: () => () => ours(ARGS, extraWith(`f${counter++}`)) },
    {
      name: "Powertools: first call",
      start: () => () => powertools({ ...ARGS, key: `${PREFIX}f${counter++}` }),
    },
    { name: "ours: replay", start: () => () => ours(ARGS, extraWith("replayed")) },
    {
      name: "Powertools: replay",
      start: () => () => powertools({ ...ARGS, key: `${PREFIX}replayed` }),
    },
  ];
  const at = await interleaved(contenders, {
    rounds: ROUNDS,
    sampleMs: 400,
    batch: 16 * 8,
    run: parallel(concurrency),
  });
  printTable(
    `Redis store, concurrency ${concurrency}`,
    contenders,
    at,
    "ours: first call",
    "ours: first call",
  );
  console.log(
    `concurrency ${concurrency}: throughput ours/Powertools, first call ×${at.ratio("Powertools: first call", "ours: first call").toFixed(2)}, replay ×${at.ratio("Powertools: replay", "ours: replay").toFixed(2)}`,
  );
}

ioredis.disconnect();
await nodeRedis.close();
await privateRedis.stop();
