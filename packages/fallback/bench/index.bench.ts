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
import { interleaved, type Contender as Measured } from "@mcp-prod/testkit/bench";
import { countAbortControllers } from "../src/fallback.test-helpers.ts";
import type * as Built from "../src/index.ts";

// The built dist/index.js users import: tsx compiles src/ with esbuild's
// keepNames, which wraps every closure created per call in a `__name` call and
// would add to the deadline path's cost what users never pay. Typed from src.
const { fetchWithFallback, withFallback }: typeof Built = await import(
  new URL("../dist/index.js", import.meta.url).href
);

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

async function main(): Promise<void> {
  const measured: Measured[] = contenders.map(({ name, run }) => ({ name, start: () => run }));
  const at = await interleaved(measured, {
    rounds: ROUNDS,
    sampleMs: TASK_TIME_MS,
    batch: BATCH,
    statistic: "p50",
  });
  const rows = [];
  for (const { name, baseline, run } of contenders) {
    const perCall = at(name);
    const base = at(baseline);
    rows.push({
      contender: name,
      "median µs/call": perCall.toFixed(3),
      "calls/s": Math.round(1e6 / perCall).toLocaleString("en-US"),
      "× baseline": at.ratio(name, baseline).toFixed(2),
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
    .map(({ name, baseline }) => at(name) - at(baseline));
  console.log(
    `largest µs added without a deadline: ${Math.max(...added).toFixed(3)} (target < 1 µs)`,
  );
}

await main();
