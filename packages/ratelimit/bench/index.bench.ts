/**
 * Per-call cost of `withRateLimit` with the memory store and the Redis store,
 * against the bare handler and against rate-limiter-flexible's own `consume`
 * on the same store (the floor the wrapper builds on). The contenders are
 * interleaved: each round runs every task briefly, and the table reports the
 * median of the per-round medians (ratios: the median of per-round ratios).
 *
 * Run: pnpm --filter @mcp-prod/ratelimit bench   (REDIS_URL, default redis://127.0.0.1:6379)
 */

import { randomUUID } from "node:crypto";
import { median, pairedRatio } from "@mcp-prod/testkit/bench";
import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis } from "rate-limiter-flexible";
import { Bench } from "tinybench";
import { createRateLimiter, withRateLimit } from "../src/index.ts";

const ROUNDS = 9;
const TASK_TIME_MS = 150;
const CLIENTS = 100;
// Enough points that no call is ever refused: this measures the allowed path.
const POINTS = 1_000_000_000;
const DURATION_SECONDS = 60;

const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const prefix = `bench:ratelimit:${randomUUID()}`;

const extras = Array.from({ length: CLIENTS }, (_, index) => ({
  sessionId: `client-${index}`,
  signal: new AbortController().signal,
}));
const args = { city: "Oslo" };
const handler = async (_args: { city: string }, _extra: (typeof extras)[number]) => ({
  content: [{ type: "text" as const, text: "Sunny" }],
});

const memoryWrapped = withRateLimit(handler, {
  points: POINTS,
  durationSeconds: DURATION_SECONDS,
  key: (_args, extra) => extra.sessionId,
});
const redisWrapped = withRateLimit(handler, {
  limiter: createRateLimiter({
    points: POINTS,
    durationSeconds: DURATION_SECONDS,
    redis,
    keyPrefix: `${prefix}:wrapped`,
  }),
  key: (_args, extra) => extra.sessionId,
});
const rawMemory = new RateLimiterMemory({ points: POINTS, duration: DURATION_SECONDS });
const rawRedis = new RateLimiterRedis({
  storeClient: redis,
  points: POINTS,
  duration: DURATION_SECONDS,
  keyPrefix: `${prefix}:raw`,
});

let call = 0;
const next = () => extras[call++ % CLIENTS] as (typeof extras)[number];

const contenders: Record<string, () => Promise<unknown>> = {
  "bare handler": () => handler(args, next()),
  "withRateLimit (memory)": () => memoryWrapped(args, next()),
  "rate-limiter-flexible memory consume": () => rawMemory.consume(next().sessionId),
  "withRateLimit (redis)": () => redisWrapped(args, next()),
  "rate-limiter-flexible redis consume": () => rawRedis.consume(next().sessionId),
};

async function main(): Promise<void> {
  await redis.ping();
  const medians = new Map<string, number[]>(Object.keys(contenders).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({ time: TASK_TIME_MS, warmupTime: 50 });
    for (const [name, fn] of Object.entries(contenders)) bench.add(name, fn);
    await bench.run();
    for (const task of bench.tasks) {
      const p50 = task.result?.latency.p50;
      if (task.result?.error) throw task.result.error;
      if (p50 !== undefined) medians.get(task.name)?.push(p50);
    }
  }

  const us = new Map([...medians].map(([name, values]) => [name, median(values) * 1000]));
  // Ratios are taken within each round, then their median: a load spike on a
  // shared machine then skews one round's pair, not the figure.
  const ratio = (name: string, reference: string) =>
    pairedRatio(medians.get(name) ?? [], medians.get(reference) ?? []);
  const rows = [...us].map(([name, micros]) => {
    const floor = name.includes("redis")
      ? "rate-limiter-flexible redis consume"
      : "rate-limiter-flexible memory consume";
    return {
      contender: name,
      "median µs/op": micros.toFixed(2),
      "ops/s": Math.round(1e6 / micros).toLocaleString("en-US"),
      "× bare handler": ratio(name, "bare handler").toFixed(1),
      "+µs vs bare": (micros - (us.get("bare handler") ?? Number.NaN)).toFixed(2),
      "× rlf same store": name.startsWith("withRateLimit") ? ratio(name, floor).toFixed(2) : "",
    };
  });
  console.log(
    `\n@mcp-prod/ratelimit — ${ROUNDS} interleaved rounds × ${TASK_TIME_MS} ms per task, Node ${process.version}\n`,
  );
  console.table(rows);

  const keys = extras.flatMap((extra) => [
    `${prefix}:wrapped:${extra.sessionId}`,
    `${prefix}:raw:${extra.sessionId}`,
  ]);
  await redis.del(...keys);
  redis.disconnect();
}

await main();
