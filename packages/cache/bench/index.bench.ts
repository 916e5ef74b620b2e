/**
 * @mcp-prod/cache against its peers, contenders interleaved: every round runs
 * each contender once in turn (a batch of operations), and the table reports
 * the median over the rounds.
 *
 * - L1 hit: `getOrSet` on a warm key vs cache-manager 7 `wrap` (memory) and
 *   bentocache `getOrSet` (memory driver).
 * - L2 hit: a fresh instance (empty L1) reading keys another instance wrote vs
 *   raw ioredis `GET` + `JSON.parse`, at concurrency 1 and 50.
 * - Stampede: 1000 concurrent requests on a cold key, the naive
 *   `cachedFetch` vs ours, counting origin calls.
 *
 * Run: pnpm bench (builds first), or pnpm --filter @mcp-prod/cache build && pnpm --filter
 * @mcp-prod/cache bench   (REDIS_URL, default redis://127.0.0.1:6379)
 */

import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { median } from "@mcp-prod/testkit/bench";
import { BentoCache, bentostore } from "bentocache";
import { memoryDriver } from "bentocache/drivers/memory";
import { createCache as createCacheManager } from "cache-manager";
import { Redis } from "ioredis";

// The built package, as users run it: tsx compiles src with keepNames, which
// wraps every closure in a naming helper and would handicap only our side.
const distEntry = new URL("../dist/index.js", import.meta.url);
if (!existsSync(distEntry)) {
  throw new Error("Build first: pnpm --filter @mcp-prod/cache build (pnpm bench does it for you)");
}
const { cachedFetch, createCache } = (await import(
  distEntry.href
)) as typeof import("../src/index.ts");

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const ROUNDS = 15;
const L1_BATCH = 20_000;
const L2_KEYS = 2_000;
const STAMPEDE_ROUNDS = 5;

// The same ~300-byte JSON value everywhere.
const VALUE = {
  id: 4242,
  city: "Oslo",
  country: "NO",
  forecast: [
    { day: "mon", high: 12, low: 4, summary: "partly cloudy" },
    { day: "tue", high: 10, low: 3, summary: "light rain" },
    { day: "wed", high: 14, low: 6, summary: "sunny" },
  ],
  source: "api.example.com/v2/weather",
  fetchedAt: "2026-01-01T00:00:00.000Z",
};

type Row = { name: string; samples: number[]; unit: string };

async function opsPerSecond(operations: number, run: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  const elapsedNs = Number(process.hrtime.bigint() - started);
  return operations / (elapsedNs / 1e9);
}

/** Runs every contender once per round, in turn, so drift hits them all alike. */
async function interleave(
  rounds: number,
  contenders: Array<{ name: string; run: (round: number) => Promise<number> }>,
): Promise<Row[]> {
  const rows = contenders.map((contender) => ({
    name: contender.name,
    samples: [] as number[],
    unit: "ops/s",
  }));
  for (let round = -1; round < rounds; round++) {
    for (const [index, contender] of contenders.entries()) {
      const sample = await contender.run(round);
      // round -1 is the warm-up
      if (round >= 0) rows[index]?.samples.push(sample);
    }
  }
  return rows;
}

function format(value: number): string {
  return value >= 1000 ? Math.round(value).toLocaleString("en-US") : value.toFixed(1);
}

function printTable(title: string, rows: Row[], baseline: string): void {
  const base = median(rows.find((row) => row.name === baseline)?.samples ?? [1]);
  console.log(`\n${title}`);
  console.log(
    `${"contender".padEnd(44)}${"median ops/s".padStart(16)}${"µs/op".padStart(10)}${`× ${baseline}`.padStart(28)}`,
  );
  for (const row of rows) {
    const value = median(row.samples);
    console.log(
      `${row.name.padEnd(44)}${format(value).padStart(16)}${(1e6 / value).toFixed(2).padStart(10)}${(value / base).toFixed(2).padStart(28)}`,
    );
  }
}

async function benchL1(): Promise<void> {
  const ours = createCache({ name: "bench-l1" });
  const manager = createCacheManager({ ttl: 300_000 });
  const bento = new BentoCache({
    default: "memory",
    stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 10_000 })) },
  });
  const factory = async () => VALUE;
  await ours.getOrSet("warm", factory, { ttlSeconds: 300 });
  await manager.wrap("warm", factory, 300_000);
  await bento.getOrSet({ key: "warm", factory, ttl: "5m" });

  const rows = await interleave(ROUNDS, [
    {
      name: "@mcp-prod/cache getOrSet (L1 hit)",
      run: () =>
        opsPerSecond(L1_BATCH, async () => {
          for (let index = 0; index < L1_BATCH; index++) await ours.getOrSet("warm", factory);
        }),
    },
    {
      name: "cache-manager 7 wrap (memory)",
      run: () =>
        opsPerSecond(L1_BATCH, async () => {
          for (let index = 0; index < L1_BATCH; index++)
            await manager.wrap("warm", factory, 300_000);
        }),
    },
    {
      name: "bentocache getOrSet (memory)",
      run: () =>
        opsPerSecond(L1_BATCH, async () => {
          for (let index = 0; index < L1_BATCH; index++)
            await bento.getOrSet({ key: "warm", factory, ttl: "5m" });
        }),
    },
  ]);
  printTable(
    `L1 hit, warm key, sequential awaits (${ROUNDS} rounds × ${L1_BATCH} ops)`,
    rows,
    "cache-manager 7 wrap (memory)",
  );
  const ratio = median(rows[0]?.samples ?? []) / median(rows[1]?.samples ?? [1]);
  console.log(
    `target: L1 hit ≥ 3 × cache-manager → ${ratio.toFixed(2)} × ${ratio >= 3 ? "(met)" : "(NOT met)"}`,
  );
  await ours.close();
  await bento.disconnectAll();
  await manager.disconnect();
}

async function benchL2(): Promise<void> {
  const prefix = `bench:cache:${randomUUID()}:`;
  const writerClient = new Redis(REDIS_URL);
  const readerClient = new Redis(REDIS_URL);
  const rawClient = new Redis(REDIS_URL);
  const writer = createCache({ redis: writerClient, prefix, invalidation: false });
  const keys = Array.from({ length: L2_KEYS }, (_, index) => `report:${index}`);
  for (const key of keys) await writer.set(key, VALUE, { ttlSeconds: 600 });
  // The raw contender reads plain JSON under its own keys, as a hand-written cache stores it.
  for (const key of keys)
    await rawClient.set(`${prefix}raw:${key}`, JSON.stringify(VALUE), "EX", 600);
  const factory = async () => {
    throw new Error("the bench reads warm keys only");
  };

  for (const concurrency of [1, 50]) {
    const lanes = Array.from({ length: concurrency }, (_, lane) =>
      keys.filter((_, index) => index % concurrency === lane),
    );
    const rows = await interleave(ROUNDS, [
      {
        name: `@mcp-prod/cache getOrSet (L2 hit, c=${concurrency})`,
        run: async () => {
          // A fresh instance each round: its L1 is empty, every read is an L2 hit.
          const reader = createCache({
            redis: readerClient,
            prefix,
            invalidation: false,
            maxEntries: L2_KEYS,
          });
          const result = await opsPerSecond(L2_KEYS, async () => {
            await Promise.all(
              lanes.map(async (lane) => {
                for (const key of lane) await reader.getOrSet(key, factory);
              }),
            );
          });
          if (reader.stats().hits.l2 !== L2_KEYS)
            throw new Error("expected every read to be an L2 hit");
          await reader.close();
          return result;
        },
      },
      {
        name: `raw ioredis GET + JSON.parse (c=${concurrency})`,
        run: () =>
          opsPerSecond(L2_KEYS, async () => {
            await Promise.all(
              lanes.map(async (lane) => {
                for (const key of lane) {
                  const text = await rawClient.get(`${prefix}raw:${key}`);
                  if (text !== null) JSON.parse(text);
                }
              }),
            );
          }),
      },
    ]);
    const baseline = `raw ioredis GET + JSON.parse (c=${concurrency})`;
    printTable(
      `L2 hit, empty L1, concurrency ${concurrency} (${ROUNDS} rounds × ${L2_KEYS} ops)`,
      rows,
      baseline,
    );
    const ratio = median(rows[0]?.samples ?? []) / median(rows[1]?.samples ?? [1]);
    const target = concurrency === 1 ? 0.9 : 0.85;
    console.log(
      `target: ≥ ${target} × raw → ${ratio.toFixed(2)} × ${ratio >= target ? "(met)" : "(NOT met)"}`,
    );
  }

  await writer.clear();
  writerClient.disconnect();
  readerClient.disconnect();
  rawClient.disconnect();
}

/** The usual hand-written cachedFetch: get, else fetch and set, no stampede protection. */
async function naiveCachedFetch<T>(
  redis: Redis,
  key: string,
  fetch: () => Promise<T>,
  ttlSeconds = 300,
): Promise<T> {
  const cached = await redis.get(key);
  if (cached) return JSON.parse(cached);
  const data = await fetch();
  await redis.setex(key, ttlSeconds, JSON.stringify(data));
  return data;
}

async function benchStampede(): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const prefix = `bench:stampede:${randomUUID()}:`;
  const results = {
    naive: [] as number[],
    ours: [] as number[],
    naiveMs: [] as number[],
    oursMs: [] as number[],
  };
  for (let round = 0; round < STAMPEDE_ROUNDS; round++) {
    for (const contender of ["naive", "ours"] as const) {
      const key = `${prefix}${contender}:${round}`;
      let originCalls = 0;
      const origin = async () => {
        originCalls++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return VALUE;
      };
      const started = performance.now();
      await Promise.all(
        Array.from({ length: 1000 }, () =>
          contender === "naive"
            ? naiveCachedFetch(redis, key, origin)
            : cachedFetch(redis, key, origin),
        ),
      );
      results[contender].push(originCalls);
      results[`${contender}Ms`].push(performance.now() - started);
      await redis.del(key);
    }
  }
  console.log(
    `\nStampede: 1000 concurrent requests on a cold key, origin takes 20 ms (${STAMPEDE_ROUNDS} rounds)`,
  );
  console.log(
    `${"contender".padEnd(44)}${"origin calls (median)".padStart(24)}${"wall ms (median)".padStart(20)}`,
  );
  console.log(
    `${"hand-written cachedFetch (naive)".padEnd(44)}${String(median(results.naive)).padStart(24)}${median(results.naiveMs).toFixed(1).padStart(20)}`,
  );
  console.log(
    `${"@mcp-prod/cache cachedFetch".padEnd(44)}${String(median(results.ours)).padStart(24)}${median(results.oursMs).toFixed(1).padStart(20)}`,
  );
  const exact = results.ours.every((calls) => calls === 1);
  console.log(
    `target: exactly 1 origin call in every round → ${exact ? "(met)" : `(NOT met: ${results.ours.join(", ")})`}`,
  );
  redis.disconnect();
}

console.log(`@mcp-prod/cache bench, Node ${process.version}`);
await benchL1();
await benchL2();
await benchStampede();
