/**
 * Throughput of a bulkhead's admitted path, in one run with the contenders
 * interleaved and the same capacity (limit 10, no queue for the bulkheads; a
 * p-limit queue is unbounded): each sample keeps CONCURRENCY calls in flight
 * at once, so a slot is always free and every call is admitted, which is the
 * path a healthy server takes on every request.
 *
 * - a bare async function (the floor);
 * - @mcp-prod/bulkhead `execute(fn)`, and `execute(fn, { signal })`;
 * - cockatiel 4 `bulkhead(10).execute(fn)`;
 * - p-limit 7 `limit(fn)`;
 * - a tool handler called directly and through `withBulkhead`.
 *
 * The table shows the median µs per call over ROUNDS samples; the order
 * rotates each round.
 *
 * Run: pnpm --filter @mcp-prod/bulkhead bench
 */
import { bulkhead as cockatielBulkhead } from "cockatiel";
import pLimit from "p-limit";
import { Bench } from "tinybench";
import { createBulkhead, withBulkhead } from "../src/index.ts";

const ROUNDS = 5;
const SAMPLE_MS = 1000;
const BATCH = 500;
const LIMIT = 10;
const CONCURRENCY = 8;

const payload = { rows: 3 };
const action = async () => payload;
const signal = new AbortController().signal;
const extra = { signal, requestId: 1 };
const toolArgs = { id: "42" };
const handler = async (args: { id: string }, _extra: { signal: AbortSignal }) => ({
  content: [{ type: "text" as const, text: args.id }],
});

type Contender = { name: string; start: () => () => Promise<unknown> };

const BARE = "bare async function";
const OURS = "@mcp-prod/bulkhead execute(fn)";
const COCKATIEL = "cockatiel bulkhead(10).execute(fn)";
const PLIMIT = "p-limit(10)(fn)";
const contenders: Contender[] = [
  { name: BARE, start: () => action },
  {
    name: OURS,
    start: () => {
      const bulkhead = createBulkhead({ limit: LIMIT });
      return () => bulkhead.execute(action);
    },
  },
  {
    name: "@mcp-prod/bulkhead execute(fn, { signal })",
    start: () => {
      const bulkhead = createBulkhead({ limit: LIMIT });
      const options = { signal };
      return () => bulkhead.execute(action, options);
    },
  },
  {
    name: COCKATIEL,
    start: () => {
      const policy = cockatielBulkhead(LIMIT);
      return () => policy.execute(action);
    },
  },
  {
    name: PLIMIT,
    start: () => {
      const limit = pLimit(LIMIT);
      return () => limit(action);
    },
  },
  { name: "tool handler directly", start: () => () => handler(toolArgs, extra) },
  {
    name: "withBulkhead(tool handler)",
    start: () => {
      const wrapped = withBulkhead(handler, { limit: LIMIT });
      return () => wrapped(toolArgs, extra);
    },
  },
];

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** CONCURRENCY lanes, each making BATCH / CONCURRENCY awaited calls in turn. */
async function lanes(call: () => Promise<unknown>): Promise<void> {
  const lane = async () => {
    for (let count = 0; count < BATCH / CONCURRENCY; count++) await call();
  };
  const running: Array<Promise<void>> = [];
  for (let index = 0; index < CONCURRENCY; index++) running.push(lane());
  await Promise.all(running);
}

async function main(): Promise<void> {
  const samples = new Map<string, number[]>(contenders.map(({ name }) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({ time: SAMPLE_MS, warmup: round === 0 });
    for (let index = 0; index < contenders.length; index++) {
      const { name, start } = contenders[(index + round) % contenders.length] as Contender;
      const call = start();
      bench.add(name, async () => {
        await lanes(call);
        await nextTurn();
      });
    }
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result as { error?: unknown; latency?: { mean: number } } | undefined;
      if (result?.error) throw result.error;
      if (result?.latency) samples.get(task.name)?.push((result.latency.mean * 1000) / BATCH);
    }
  }
  const micros = new Map([...samples].map(([name, values]) => [name, median(values)]));
  const at = (name: string) => micros.get(name) ?? Number.NaN;
  console.log(
    `\n@mcp-prod/bulkhead admitted path — ${ROUNDS} interleaved rounds × ${SAMPLE_MS} ms samples, ${CONCURRENCY} calls in flight, limit ${LIMIT}, Node ${process.version}\n`,
  );
  console.table(
    contenders.map(({ name }) => ({
      contender: name,
      "median µs/call": at(name).toFixed(3),
      "calls/s": Math.round(1e6 / at(name)).toLocaleString("en-US"),
      "+µs vs bare": (at(name) - at(BARE)).toFixed(3),
      "ours is × faster": (at(name) / at(OURS)).toFixed(2),
    })),
  );
  console.log(
    `ours vs cockatiel bulkhead: ${(at(COCKATIEL) / at(OURS)).toFixed(2)}× faster; vs p-limit: ${(at(PLIMIT) / at(OURS)).toFixed(2)}× faster; withBulkhead adds ${(at("withBulkhead(tool handler)") - at("tool handler directly")).toFixed(3)} µs to a tool call`,
  );
}

await main();
