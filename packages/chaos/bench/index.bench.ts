/**
 * What chaos costs while it is switched off (the state it spends its life
 * in), in one run with the contenders interleaved: a tool handler called
 * directly, through `withChaos` with chaos disabled, and through `withChaos`
 * enabled with every rate at 0 (a draw per call, no fault). The table shows
 * the median µs per call over ROUNDS samples; the order rotates each round.
 *
 * Run: pnpm --filter @mcp-prod/chaos bench
 */
import { Bench } from "tinybench";
import { createChaos, withChaos } from "../src/index.ts";

const ROUNDS = 5;
const SAMPLE_MS = 800;
const BATCH = 500;

const extra = { signal: new AbortController().signal, requestId: 1 };
const toolArgs = { city: "oslo" };
const handler = async (args: { city: string }, _extra: { signal: AbortSignal }) => ({
  content: [{ type: "text" as const, text: args.city }],
});

type Contender = { name: string; start: () => () => Promise<unknown> };
const DIRECT = "tool handler directly";
const contenders: Contender[] = [
  { name: DIRECT, start: () => () => handler(toolArgs, extra) },
  {
    name: "withChaos, disabled",
    start: () => {
      const wrapped = withChaos(handler, createChaos({ error: { rate: 0.5 } }));
      return () => wrapped(toolArgs, extra);
    },
  },
  {
    name: "withChaos, enabled, rates 0",
    start: () => {
      const chaos = createChaos({
        enabled: true,
        seed: 1,
        error: { rate: 0 },
        latency: { rate: 0, ms: 10 },
      });
      const wrapped = withChaos(handler, chaos);
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

async function main(): Promise<void> {
  const samples = new Map<string, number[]>(contenders.map(({ name }) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({ time: SAMPLE_MS, warmup: round === 0 });
    for (let index = 0; index < contenders.length; index++) {
      const { name, start } = contenders[(index + round) % contenders.length] as Contender;
      const call = start();
      bench.add(name, async () => {
        for (let count = 0; count < BATCH; count++) await call();
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
  const at = (name: string) => median(samples.get(name) ?? []);
  console.log(
    `\n@mcp-prod/chaos overhead — ${ROUNDS} interleaved rounds, Node ${process.version}\n`,
  );
  console.table(
    contenders.map(({ name }) => ({
      contender: name,
      "median µs/call": at(name).toFixed(3),
      "+µs vs direct": (at(name) - at(DIRECT)).toFixed(3),
    })),
  );
}

await main();
