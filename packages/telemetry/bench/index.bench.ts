/**
 * 1. Per-call cost of `telemetry.wrap` against the bare handler, against the
 *    the hand-written prom-client instrumentation (the code the package
 *    replaces), and with telemetry disabled.
 * 2. OpenTelemetry: `wrap` with metrics and a log line, with tracing off (no
 *    SDK registered) and on (the real SDK: always-on sampler, in-memory span
 *    exporter, a meter provider), against the same instrumentation written by
 *    hand in the handler with `@opentelemetry/api`. The SDK is registered only
 *    while a "SDK on" contender runs.
 * 3. `/metrics` render time with 100 tools × 4 statuses.
 *
 * Contenders are interleaved: each round runs every task briefly, and the
 * table reports the median of the per-round medians.
 *
 * Run: pnpm --filter @mcp-prod/telemetry bench
 */
import { median } from "@mcp-prod/testkit/bench";
import {
  context,
  metrics,
  type Histogram as OtelHistogram,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from "@opentelemetry/core";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { pino } from "pino";
import { Counter, Histogram, Registry } from "prom-client";
import { Bench } from "tinybench";
import { createTelemetry, MCP_DURATION_BUCKETS } from "../src/index.ts";

const ROUNDS = 5;
const TASK_TIME_MS = 250;

type Extra = {
  signal: AbortSignal;
  requestId: number;
  sessionId: string;
  _meta: Record<string, string>;
};
// As a client sends it: its trace context in params._meta.
const extra: Extra = {
  signal: new AbortController().signal,
  requestId: 1,
  sessionId: "s-1",
  _meta: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
};
const args = { query: "ada" };
const handler = async (_args: typeof args, _extra: Extra) => ({
  content: [{ type: "text" as const, text: "found" }],
});

const disabled = createTelemetry({ serviceName: "bench", enabled: false }).wrap("search", handler);
const metricsOnly = createTelemetry({ serviceName: "bench" }).wrap("search", handler);
const logger = pino({ level: "info" }, pino.destination({ dest: "/dev/null", sync: true }));
const withLogs = createTelemetry({ serviceName: "bench", logger }).wrap("search", handler);
const withLogsUntraced = createTelemetry({ serviceName: "bench", logger, tracing: false }).wrap(
  "search",
  handler,
);

// The usual "Metrics (Prometheus)" code, as a server author writes it by hand.
const handRegistry = new Registry();
const toolCallsTotal = new Counter({
  name: "mcp_tool_calls_total",
  help: "Total tool calls",
  labelNames: ["tool", "status"],
  registers: [handRegistry],
});
const toolDuration = new Histogram({
  name: "mcp_tool_duration_seconds",
  help: "Tool execution duration",
  labelNames: ["tool"],
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5],
  registers: [handRegistry],
});
const promByHand = async (params: typeof args, context: Extra) => {
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

// The same plus a structured log line, written by hand.
const handWrittenWithLog = async (params: typeof args, context: Extra) => {
  const started = performance.now();
  const result = await promByHand(params, context);
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

// The real SDK, registered only while an "SDK on" contender runs.
class BoundedExporter extends InMemorySpanExporter {
  override export(spans: ReadableSpan[], done: Parameters<InMemorySpanExporter["export"]>[1]) {
    if (this.getFinishedSpans().length > 10_000) this.reset();
    super.export(spans, done);
  }
}
class IdleReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}
const tracerProvider = new BasicTracerProvider({
  sampler: new AlwaysOnSampler(),
  spanProcessors: [new SimpleSpanProcessor(new BoundedExporter())],
});
const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
const contextManager = new AsyncLocalStorageContextManager();
const sdkOn = {
  beforeAll() {
    context.setGlobalContextManager(contextManager.enable());
    propagation.setGlobalPropagator(
      new CompositePropagator({
        propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
      }),
    );
    trace.setGlobalTracerProvider(tracerProvider);
    metrics.setGlobalMeterProvider(meterProvider);
    handTracer = trace.getTracer("hand-written");
    handDuration = metrics
      .getMeter("hand-written")
      .createHistogram("mcp.server.operation.duration", {
        unit: "s",
        advice: { explicitBucketBoundaries: [...MCP_DURATION_BUCKETS] },
      });
  },
  afterAll() {
    trace.disable();
    metrics.disable();
    propagation.disable();
    context.disable();
  },
};

// The same instrumentation written by hand in the handler: prom-client metrics,
// the pino line, a SERVER span and duration on the MCP conventions, and a
// cancelled call ended when the client cancels (as `wrap` does).
let handTracer = trace.getTracer("hand-written");
let handDuration: OtelHistogram = metrics.getMeter("hand-written").createHistogram("unused");
const handWritten = async (params: typeof args, context_: Extra) => {
  const parent = propagation.extract(context.active(), context_._meta);
  const attributes = {
    "mcp.method.name": "tools/call",
    "gen_ai.tool.name": "search",
    "gen_ai.operation.name": "execute_tool",
  };
  const span = handTracer.startSpan(
    "tools/call search",
    {
      kind: SpanKind.SERVER,
      attributes: {
        ...attributes,
        "jsonrpc.request.id": String(context_.requestId),
        "mcp.session.id": context_.sessionId,
      },
    },
    parent,
  );
  const started = performance.now();
  let done = false;
  const end = (status: string, errorType?: string) => {
    if (done) return;
    done = true;
    const seconds = (performance.now() - started) / 1000;
    toolCallsTotal.inc({ tool: "search", status });
    toolDuration.observe({ tool: "search" }, seconds);
    if (errorType) {
      span.setAttribute("error.type", errorType);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    handDuration.record(
      seconds,
      errorType ? { ...attributes, "error.type": errorType } : attributes,
    );
    span.end();
    logger.info(
      {
        event: "tool_called",
        tool: "search",
        status,
        duration: seconds * 1000,
        requestId: context_.requestId,
        sessionId: context_.sessionId,
      },
      "Tool execution completed",
    );
  };
  const onCancel = () => end("cancelled", "cancelled");
  context_.signal.addEventListener("abort", onCancel);
  try {
    const result = await context.with(trace.setSpan(parent, span), () => handler(params, context_));
    end("success");
    return result;
  } catch (error) {
    span.recordException(error as Error);
    end("error", (error as Error).name);
    throw error;
  } finally {
    context_.signal.removeEventListener("abort", onCancel);
  }
};

type Contender = (() => Promise<unknown>) | { fn: () => Promise<unknown>; sdk: true };

const contenders: Record<string, Contender> = {
  "bare handler": () => handler(args, extra),
  "telemetry.wrap, disabled": () => disabled(args, extra),
  "telemetry.wrap, metrics": () => metricsOnly(args, extra),
  "telemetry.wrap, metrics + pino line": () => withLogs(args, extra),
  "hand-written prom-client code": () => promByHand(args, extra),
  "hand-written code + pino line": () => handWrittenWithLog(args, extra),
  "wrap, metrics + pino line, tracing: false": () => withLogsUntraced(args, extra),
  "wrap, metrics + pino line, no OTel SDK": () => withLogs(args, extra),
  "wrap, metrics + pino line, OTel SDK on": { fn: () => withLogs(args, extra), sdk: true },
  "hand-written metrics + pino + OTel span, SDK on": {
    fn: () => handWritten(args, extra),
    sdk: true,
  },
};

// 100 tools, each with success, degraded, error and cancelled series and a histogram.
const rendered = createTelemetry({ serviceName: "bench" });
for (let index = 0; index < 100; index++) {
  const tool = `tool_${index}`;
  const wrapped = rendered.wrap(tool, async (_args: unknown, context: { fail?: boolean }) =>
    context.fail ? { content: [], isError: true } : { content: [] },
  );
  await wrapped({}, {});
  await wrapped({}, { fail: true });
}
const renderContenders: Record<string, Contender> = {
  "/metrics render, 100 tools × 4 statuses": () => rendered.metrics(),
};

async function measure(tasks: Record<string, Contender>): Promise<Map<string, number>> {
  const medians = new Map<string, number[]>(Object.keys(tasks).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({ time: TASK_TIME_MS, warmupTime: 50 });
    for (const [name, task] of Object.entries(tasks)) {
      if (typeof task === "function") bench.add(name, task);
      else bench.add(name, task.fn, sdkOn);
    }
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
const promCode = us.get("hand-written prom-client code") ?? Number.NaN;
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
    "× by hand": (micros / promCode).toFixed(2),
  })),
);

const of = (name: string) => us.get(name) ?? Number.NaN;
const untraced = of("wrap, metrics + pino line, tracing: false");
const tracingOff = of("wrap, metrics + pino line, no OTel SDK");
const tracingOn = of("wrap, metrics + pino line, OTel SDK on");
const byHand = of("hand-written metrics + pino + OTel span, SDK on");
console.log(
  `tracing off (no SDK) vs tracing: false: ${(tracingOff - untraced).toFixed(3)} µs/call` +
    `\ntracing on vs the same written by hand: ${(tracingOn / byHand).toFixed(2)}×` +
    ` (${(tracingOn - byHand).toFixed(3)} µs/call)\n`,
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
