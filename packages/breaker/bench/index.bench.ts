/**
 * Sustained throughput of a breaker's success path, in one run with the
 * contenders interleaved and the same thresholds (timeout 10 s, open above
 * 50 % failures, reset after 30 s):
 *
 * - a bare async function (the floor);
 * - opossum 9 `fire` with its default options;
 * - @mcp-prod/breaker `fire`, and `fireWith` a caller's signal;
 * - a tool handler called directly and through `withBreaker` (the MCP case);
 * - cockatiel 4: a circuit breaker wrapped around a timeout policy.
 *
 * Each sample runs one contender for SAMPLE_MS of event-loop turns (batches
 * of BATCH awaited calls, then a `setImmediate`), so background timers fire
 * inside the sample and what a breaker does per second (opossum sorts every
 * latency of its window once a second) is paid as a user pays it. Each sample
 * starts from a fresh instance, shut down at its end, so no contender's
 * timers run during another's sample. The table shows the median over
 * ROUNDS samples and ratios as the median of per-round ratios; the order
 * rotates each round.
 *
 * Run: pnpm --filter @mcp-prod/breaker bench
 */

import { type Contender, interleaved } from "@mcp-prod/testkit/bench";
import {
  circuitBreaker,
  handleAll,
  SamplingBreaker,
  TimeoutStrategy,
  timeout,
  wrap,
} from "cockatiel";
import CircuitBreaker from "opossum";
import { createBreaker, withBreaker } from "../src/index.ts";

const ROUNDS = 5;
const SAMPLE_MS = 1200;
const BATCH = 500;
const THRESHOLDS = { timeout: 10_000, errorThresholdPercentage: 50, resetTimeout: 30_000 };

const payload = { temperature: 4 };
const action = async (_city: string) => payload;
const callerSignal = new AbortController().signal;
const toolArgs = { city: "oslo" };
const extra = { signal: callerSignal, requestId: 1 };
const handler = async (args: { city: string }, _extra: { signal: AbortSignal }) => ({
  content: [{ type: "text" as const, text: args.city }],
});

const contenders: Contender[] = [
  { name: "bare async function", start: () => () => action("oslo") },
  {
    name: "opossum fire (default options)",
    start: () => {
      const breaker = new CircuitBreaker(action, { ...THRESHOLDS });
      return { call: () => breaker.fire("oslo"), stop: () => breaker.shutdown() };
    },
  },
  {
    name: "@mcp-prod/breaker fire",
    start: () => {
      const breaker = createBreaker(action, { ...THRESHOLDS });
      return { call: () => breaker.fire("oslo"), stop: () => breaker.close() };
    },
  },
  {
    name: "@mcp-prod/breaker fireWith({ signal })",
    start: () => {
      const breaker = createBreaker(action, { ...THRESHOLDS });
      const options = { signal: callerSignal };
      return { call: () => breaker.fireWith(options, "oslo"), stop: () => breaker.close() };
    },
  },
  {
    name: "tool handler directly",
    start: () => () => handler(toolArgs, extra),
  },
  {
    name: "withBreaker(tool handler)",
    start: () => {
      const breaker = createBreaker(action, { ...THRESHOLDS });
      const wrapped = withBreaker(handler, { breaker });
      return { call: () => wrapped(toolArgs, extra), stop: () => breaker.close() };
    },
  },
  {
    name: "cockatiel breaker + timeout",
    start: () => {
      const breaker = circuitBreaker(handleAll, {
        halfOpenAfter: THRESHOLDS.resetTimeout,
        breaker: new SamplingBreaker({ threshold: 0.5, duration: 10_000 }),
      });
      const policy = wrap(breaker, timeout(THRESHOLDS.timeout, TimeoutStrategy.Aggressive));
      return () => policy.execute(() => action("oslo"));
    },
  },
];

const OPOSSUM = "opossum fire (default options)";
const OURS = "@mcp-prod/breaker fire";
const BARE = "bare async function";

async function main(): Promise<void> {
  // The mean over the whole sample is its sustained cost, background work included.
  const at = await interleaved(contenders, {
    rounds: ROUNDS,
    sampleMs: SAMPLE_MS,
    batch: BATCH,
    warmup: false,
  });
  const rows = contenders.map(({ name }) => ({
    contender: name,
    "median µs/call": at(name).toFixed(3),
    "calls/s": Math.round(1e6 / at(name)).toLocaleString("en-US"),
    "× bare": (at(name) / at(BARE)).toFixed(2),
    "+µs vs bare": (at(name) - at(BARE)).toFixed(3),
    "ours is × faster": at.ratio(name, OURS).toFixed(2),
  }));
  console.log(
    `\n@mcp-prod/breaker success path — ${ROUNDS} interleaved rounds × ${SAMPLE_MS} ms samples, ${BATCH} awaited calls per event-loop turn, Node ${process.version}\n`,
  );
  console.table(rows);
  const speedup = at.ratio(OPOSSUM, OURS);
  console.log(
    `ours vs raw opossum: ${speedup.toFixed(2)}× faster (target ≥ 1.5×); ours vs cockatiel breaker + timeout: ${at.ratio("cockatiel breaker + timeout", OURS).toFixed(2)}× faster; withBreaker adds ${(at("withBreaker(tool handler)") - at("tool handler directly")).toFixed(3)} µs to a tool call`,
  );
}

await main();
