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

import { type Contender, interleaved, printTable } from "@mcp-prod/testkit/bench";
import { bulkhead as cockatielBulkhead } from "cockatiel";
import pLimit from "p-limit";
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

/** CONCURRENCY lanes, each making batch / CONCURRENCY awaited calls in turn. */
async function lanes(call: () => Promise<unknown>, batch: number): Promise<void> {
  const lane = async () => {
    for (let count = 0; count < batch / CONCURRENCY; count++) await call();
  };
  const running: Array<Promise<void>> = [];
  for (let index = 0; index < CONCURRENCY; index++) running.push(lane());
  await Promise.all(running);
}

async function main(): Promise<void> {
  const at = await interleaved(contenders, {
    rounds: ROUNDS,
    sampleMs: SAMPLE_MS,
    batch: BATCH,
    run: lanes,
  });
  printTable(
    `@mcp-prod/bulkhead admitted path — ${ROUNDS} interleaved rounds × ${SAMPLE_MS} ms samples, ${CONCURRENCY} calls in flight, limit ${LIMIT}`,
    contenders,
    at,
    BARE,
    OURS,
  );
  console.log(
    `ours vs cockatiel bulkhead: ${(at(COCKATIEL) / at(OURS)).toFixed(2)}× faster; vs p-limit: ${(at(PLIMIT) / at(OURS)).toFixed(2)}× faster; withBulkhead adds ${(at("withBulkhead(tool handler)") - at("tool handler directly")).toFixed(3)} µs to a tool call`,
  );
}

await main();
