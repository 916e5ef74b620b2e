/**
 * What chaos costs while it is switched off (the state it spends its life
 * in), in one run with the contenders interleaved: a tool handler called
 * directly, through `withChaos` with chaos disabled, and through `withChaos`
 * enabled with every rate at 0 (a draw per call, no fault). The table shows
 * the median µs per call over ROUNDS samples; the order rotates each round.
 *
 * Run: pnpm --filter @mcp-prod/chaos bench
 */
import { type Contender, interleaved, printTable } from "@mcp-prod/testkit/bench";
import { createChaos, withChaos } from "../src/index.ts";

const ROUNDS = 5;
const SAMPLE_MS = 800;
const BATCH = 500;

const extra = { signal: new AbortController().signal, requestId: 1 };
const toolArgs = { city: "oslo" };
const handler = async (args: { city: string }, _extra: { signal: AbortSignal }) => ({
  content: [{ type: "text" as const, text: args.city }],
});

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

async function main(): Promise<void> {
  const at = await interleaved(contenders, { rounds: ROUNDS, sampleMs: SAMPLE_MS, batch: BATCH });
  printTable(
    `@mcp-prod/chaos overhead — ${ROUNDS} interleaved rounds × ${SAMPLE_MS} ms samples`,
    contenders,
    at,
    DIRECT,
    DIRECT,
  );
}

await main();
