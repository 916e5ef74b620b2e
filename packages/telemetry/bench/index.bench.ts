/**
 * 1. Per-call cost of `telemetry.wrap` against the bare handler, against the
 *    seed's hand-written prom-client instrumentation (the code the package
 *    replaces), and with telemetry disabled.
 * 2. `/metrics` render time with 100 tools × 3 statuses.
 *
 * Contenders are interleaved: each round runs every task briefly, and the
 * table reports the median of the per-round medians.
 *
 * Run: pnpm --filter @mcp-prod/telemetry bench
 */
import { pino } from "pino";
import { Counter, Histogram, Registry } from "prom-client";
import { Bench } from "tinybench";
import { createTelemetry } from "../src/index.ts";

const ROUNDS = 5;
const TASK_TIME_MS = 250;

type Extra = { signal: AbortSignal; requestId: number; sessionId: string };
const extra: Extra = { signal: new AbortController().signal, requestId: 1, sessionId: "s-1" };
const args = { query: "ada" };
const handler = async (_args: typeof args, _extra: Extra) => ({
  content: [{ type: "text" as const, text: "found" }],
});

const disabled = createTelemetry({ serviceName: "bench", enabled: false }).wrap("search", handler);
const metricsOnly = createTelemetry({ serviceName: "bench" }).wrap("search", handler);
const logger = pino({ level: "info" }, pino.destination({ dest: "/dev/null", sync: true }));
const withLogs = createTelemetry({ serviceName: "bench", logger }).wrap("search", handler);

// The seed's "Metrics (Prometheus)" snippet, as a server author writes it by hand.
const seedRegistry = new Registry();
const toolCallsTotal = new Counter({
  name: "mcp_tool_calls_total",
  help: "Total tool calls",
  labelNames: ["tool", "status"],
  registers: [seedRegistry],
});
const toolDuration = new Histogram({
  name: "mcp_tool_duration_seconds",
  help: "Tool execution duration",
  labelNames: ["tool"],
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5],
  registers: [seedRegistry],
});
const seedHandWritten = async (params: typeof args, context: Extra) => {
  const timer = toolDuration.startTimer({ tool: "search" });
  try {
    const result = await handler(params, context);
    toolCallsTotal.inc({ tool: "search", status: "success" });
    return result;
  } catch (error) {
    toolCallsTotal.inc({ tool: "search", status: "error" });
    throw error;
  } finally {
    timer();
  }
};

// The same plus the seed's "Structured Logging" line, written by hand.
const seedWithLog = async (params: typeof args, context: Extra) => {
  const started = performance.now();
  const result = await seedHandWritten(params, context);
  logger.info(
    {
      event: "tool_called",
      tool: "search",
      status: "success",
      duration: performance.now() - started,
      requestId: context.requestId,
      sessionId: context.sessionId,
    },
    "Tool execution completed",
  );
  return result;
};

const contenders: Record<string, () => Promise<unknown>> = {
  "bare handler": () => handler(args, extra),
  "telemetry.wrap, disabled": () => disabled(args, extra),
  "telemetry.wrap, metrics": () => metricsOnly(args, extra),
  "telemetry.wrap, metrics + pino line": () => withLogs(args, extra),
  "seed's hand-written prom-client code": () => seedHandWritten(args, extra),
  "seed's hand-written code + pino line": () => seedWithLog(args, extra),
};

// 100 tools, each with success, error and cancelled series and a histogram.
const rendered = createTelemetry({ serviceName: "bench" });
for (let index = 0; index < 100; index++) {
  const tool = `tool_${index}`;
  const wrapped = rendered.wrap(tool, async (_args: unknown, context: { fail?: boolean }) =>
    context.fail ? { content: [], isError: true } : { content: [] },
  );
  await wrapped({}, {});
  await wrapped({}, { fail: true });
}
const renderContenders: Record<string, () => Promise<unknown>> = {
  "/metrics render, 100 tools × 3 statuses": () => rendered.metrics(),
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function measure(
  tasks: Record<string, () => Promise<unknown>>,
): Promise<Map<string, number>> {
  const medians = new Map<string, number[]>(Object.keys(tasks).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({ time: TASK_TIME_MS, warmupTime: 50 });
    for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
    await bench.run();
    for (const task of bench.tasks) {
      if (task.result?.error) throw task.result.error;
      const p50 = task.result?.latency.p50;
      if (p50 !== undefined) medians.get(task.name)?.push(p50);
    }
  }
  return new Map([...medians].map(([name, values]) => [name, median(values) * 1000]));
}

const us = await measure(contenders);
const bare = us.get("bare handler") ?? Number.NaN;
const seed = us.get("seed's hand-written prom-client code") ?? Number.NaN;
console.log(
  `\n@mcp-prod/telemetry — ${ROUNDS} interleaved rounds × ${TASK_TIME_MS} ms per task, Node ${process.version}\n`,
);
console.table(
  [...us].map(([name, micros]) => ({
    contender: name,
    "median µs/op": micros.toFixed(3),
    "ops/s": Math.round(1e6 / micros).toLocaleString("en-US"),
    "× bare handler": (micros / bare).toFixed(2),
    "+µs vs bare": (micros - bare).toFixed(3),
    "× seed code": (micros / seed).toFixed(2),
  })),
);

const render = await measure(renderContenders);
const text = await rendered.metrics();
console.table(
  [...render].map(([name, micros]) => ({
    task: name,
    "median µs/render": micros.toFixed(1),
    "renders/s": Math.round(1e6 / micros).toLocaleString("en-US"),
    bytes: Buffer.byteLength(text).toLocaleString("en-US"),
    lines: text.split("\n").length - 1,
  })),
);
