/**
 * The happy path of a retry policy (the first attempt succeeds), in one run
 * with the contenders interleaved:
 *
 * - a bare async function (the floor);
 * - @mcp-prod/retry `retry(fn)`, and `retry(fn, { … })` with options written
 *   inline at each call, as code usually does;
 * - cockatiel 4: `retry(handleAll, { maxAttempts: 2, backoff }).execute(fn)`,
 *   the policy built once;
 * - a tool handler called directly and through `withRetry`.
 *
 * Each sample runs one contender for SAMPLE_MS in batches of BATCH awaited
 * calls, then a `setImmediate`; the table shows the median over ROUNDS
 * samples, the order rotating each round.
 *
 * Run: pnpm --filter @mcp-prod/retry bench
 */

import { type Contender, interleaved, printTable } from "@mcp-prod/testkit/bench";
import { retry as cockatielRetry, ExponentialBackoff, handleAll } from "cockatiel";
import { retry, withRetry } from "../src/index.ts";

const ROUNDS = 5;
const SAMPLE_MS = 1000;
const BATCH = 500;

const payload = { temperature: 4 };
const action = async () => payload;
const extra = { signal: new AbortController().signal, requestId: 1 };
const toolArgs = { city: "oslo" };
const handler = async (args: { city: string }, _extra: { signal: AbortSignal }) => ({
  content: [{ type: "text" as const, text: args.city }],
});

const BARE = "bare async function";
const OURS = "@mcp-prod/retry retry(fn)";
const COCKATIEL = "cockatiel retry(...).execute(fn)";
const contenders: Contender[] = [
  { name: BARE, start: () => action },
  { name: OURS, start: () => () => retry(action) },
  {
    name: "@mcp-prod/retry retry(fn, inline options)",
    start: () => () => retry(action, { attempts: 3, minDelayMs: 100, maxDelayMs: 5000 }),
  },
  {
    name: COCKATIEL,
    start: () => {
      const policy = cockatielRetry(handleAll, {
        maxAttempts: 2,
        backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 5000 }),
      });
      return () => policy.execute(action);
    },
  },
  { name: "tool handler directly", start: () => () => handler(toolArgs, extra) },
  {
    name: "withRetry(tool handler)",
    start: () => {
      const wrapped = withRetry(handler, { idempotent: true });
      return () => wrapped(toolArgs, extra);
    },
  },
];

async function main(): Promise<void> {
  const at = await interleaved(contenders, { rounds: ROUNDS, sampleMs: SAMPLE_MS, batch: BATCH });
  printTable(
    `@mcp-prod/retry happy path — ${ROUNDS} interleaved rounds × ${SAMPLE_MS} ms samples, ${BATCH} awaited calls per event-loop turn`,
    contenders,
    at,
    BARE,
    OURS,
  );
  console.log(
    `retry(fn) adds ${(at(OURS) - at(BARE)).toFixed(3)} µs to a call (target < 0.2); ours vs cockatiel: ${(at(COCKATIEL) / at(OURS)).toFixed(2)}× faster; withRetry adds ${(at("withRetry(tool handler)") - at("tool handler directly")).toFixed(3)} µs to a tool call`,
  );
}

await main();
