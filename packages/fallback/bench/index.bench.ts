/**
 * What the happy path of a fallback costs: `fetchWithFallback` and
 * `withFallback` when the primary succeeds, against calling the primary
 * directly. Target: under 1 µs added per call, and no AbortController created
 * when there is neither a deadline nor a caller's signal (counted below).
 *
 * Each task runs a batch of calls so that timer overhead does not swamp
 * sub-microsecond costs. The contenders are interleaved: each round runs every
 * task briefly, and the table reports the median of the per-round medians.
 *
 * Run: pnpm --filter @mcp-prod/fallback bench
 */
import { Bench } from "tinybench";
import { fetchWithFallback, withFallback } from "../src/index.ts";
import { countAbortControllers } from "../src/test-support.ts";

const ROUNDS = 7;
const TASK_TIME_MS = 300;
const BATCH = 200;

const data = { temperature: 4 };
const primary = async () => data;
const fallback = async () => ({ temperature: 0 });
const onFallback = () => {};
const when = () => true;

const args = { city: "Oslo" };
const extra = { signal: new AbortController().signal, requestId: 1 };
const handler = async (_args: typeof args, _extra: typeof extra) => ({
  content: [{ type: "text" as const, text: "Sunny" }],
});
const wrapped = withFallback(handler, { content: [{ type: "text", text: "unavailable" }] });
const wrappedWithDeadline = withFallback(
  handler,
  { content: [{ type: "text", text: "unavailable" }] },
  { timeoutMs: 5000 },
);
const callerSignal = new AbortController().signal;

function batch(fn: () => Promise<unknown>): () => Promise<void> {
  return async () => {
    for (let index = 0; index < BATCH; index++) await fn();
  };
}

type Contender = { name: string; baseline: string; run: () => Promise<unknown> };
const contenders: Contender[] = [
  { name: "primary() directly", baseline: "primary() directly", run: primary },
  {
    name: "fetchWithFallback(primary, fallback)",
    baseline: "primary() directly",
    run: () => fetchWithFallback(primary, fallback),
  },
  {
    name: "fetchWithFallback + { when, onFallback }",
    baseline: "primary() directly",
    run: () => fetchWithFallback(primary, fallback, { when, onFallback }),
  },
  {
    name: "fetchWithFallback + { signal }",
    baseline: "primary() directly",
    run: () => fetchWithFallback(primary, fallback, { signal: callerSignal }),
  },
  {
    name: "fetchWithFallback + { timeoutMs: 5000 }",
    baseline: "primary() directly",
    run: () => fetchWithFallback(primary, fallback, { timeoutMs: 5000 }),
  },
  {
    name: "handler(args, extra) directly",
    baseline: "handler(args, extra) directly",
    run: () => handler(args, extra),
  },
  {
    name: "withFallback(handler, result)",
    baseline: "handler(args, extra) directly",
    run: () => wrapped(args, extra),
  },
  {
    name: "withFallback + { timeoutMs: 5000 }",
    baseline: "handler(args, extra) directly",
    run: () => wrappedWithDeadline(args, extra),
  },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const samples = new Map<string, number[]>(contenders.map(({ name }) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({ time: TASK_TIME_MS, warmupTime: 50 });
    // Rotate the order each round so no contender always runs first or last.
    const order = contenders.map(
      (_, index) => contenders[(index + round) % contenders.length] as Contender,
    );
    for (const { name, run } of order) bench.add(name, batch(run));
    await bench.run();
    for (const task of bench.tasks) {
      if (task.result?.error) throw task.result.error;
      const p50 = task.result?.latency.p50;
      if (p50 !== undefined) samples.get(task.name)?.push((p50 * 1000) / BATCH);
    }
  }

  const micros = new Map([...samples].map(([name, values]) => [name, median(values)]));
  const rows = [];
  for (const { name, baseline, run } of contenders) {
    const perCall = micros.get(name) ?? Number.NaN;
    const base = micros.get(baseline) ?? Number.NaN;
    rows.push({
      contender: name,
      "median µs/call": perCall.toFixed(3),
      "calls/s": Math.round(1e6 / perCall).toLocaleString("en-US"),
      "× baseline": (perCall / base).toFixed(2),
      "+µs vs baseline": (perCall - base).toFixed(3),
      "AbortControllers / 1000 calls": await countAbortControllers(async () => {
        for (let index = 0; index < 1000; index++) await run();
      }),
    });
  }
  console.log(
    `\n@mcp-prod/fallback happy path — ${ROUNDS} interleaved rounds × ${TASK_TIME_MS} ms per task, ${BATCH} calls per sample, Node ${process.version}\n`,
  );
  console.table(rows);
  const added = contenders
    .filter(({ name, baseline }) => name !== baseline && !name.includes("timeoutMs"))
    .map(
      ({ name, baseline }) =>
        (micros.get(name) ?? Number.NaN) - (micros.get(baseline) ?? Number.NaN),
    );
  console.log(
    `largest µs added without a deadline: ${Math.max(...added).toFixed(3)} (target < 1 µs)`,
  );
}

await main();
