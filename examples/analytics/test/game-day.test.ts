/**
 * Game day: chaos in the analytics upstream client (errors and latency) and
 * then a failing upstream, under a bounded load of concurrent MCP clients, with
 * every policy of the toolkit in the documented order around the report tool:
 * fallback (last good report) → retry (with a budget) → breaker → the
 * upstream client behind a bulkhead. The bulkhead guards the client rather
 * than wrapping the tool so that a shed call reaches the breaker as a
 * `BulkheadError` it excuses (`errorFilter`): a "Server busy" result would
 * count as a failure (or, with `countErrorResults: false`, a success). It asserts on what an operator cares about that day:
 * every call is answered and nothing hangs, retries stay within their budget,
 * the bulkhead sheds the excess, the breaker opens and stops the traffic to
 * the failing upstream, and degraded answers are served and marked.
 */
import { createBreaker, withBreaker } from "@mcp-prod/breaker";
import { BulkheadError, createBulkhead } from "@mcp-prod/bulkhead";
import { createChaos } from "@mcp-prod/chaos";
import { getFallbackMeta, withFallback } from "@mcp-prod/fallback";
import { createRetryBudget, RETRY_META_KEY, withRetry } from "@mcp-prod/retry";
import { inMemoryMcp } from "@mcp-prod/testkit/mcp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportInput } from "../src/tools.ts";
import { createUpstreamClient, type Report } from "../src/upstream-client.ts";
import { startUpstream, type Upstream } from "../upstream/server.ts";

type ReportArgs = { metric: "active_users" | "signups" | "revenue" | "churn"; days: number };
type Answer = {
  content?: Array<{ type: string; text?: string }>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
};

const KEYS: ReportArgs[] = (["active_users", "signups", "revenue", "churn"] as const).flatMap(
  (metric) => [1, 2, 3].map((days) => ({ metric, days })),
);
const RATIO = 0.2;
const MIN_PER_SECOND = 1;
const WINDOW_MS = 120_000;
const FLOOR = (MIN_PER_SECOND * WINDOW_MS) / 1000;

const mcp = inMemoryMcp("analytics-game-day");
const text = (value: unknown) => ({
  content: [{ type: "text" as const, text: JSON.stringify(value) }],
});
const keyOf = ({ metric, days }: ReportArgs) => `${metric}:${days}`;

describe("game day: analytics under chaos and a failing upstream", () => {
  let upstream: Upstream;
  const chaos = createChaos({ seed: 2026, error: { rate: 0.3 }, latency: { rate: 0.3, ms: 40 } });
  const budget = createRetryBudget({
    ratio: RATIO,
    minPerSecond: MIN_PER_SECOND,
    windowMs: WINDOW_MS,
  });
  const breaker = createBreaker({
    name: "upstream",
    timeout: 2000,
    errorThresholdPercentage: 50,
    volumeThreshold: 10,
    resetTimeout: 60_000,
    // A call the bulkhead shed says nothing about the upstream's health.
    errorFilter: (error) => BulkheadError.isInstance(error),
  });
  const bulkhead = createBulkhead({ name: "upstream", limit: 4, queue: 4, queueTimeoutMs: 100 });
  const lastGood = new Map<string, Report>();
  let toolCalls = 0;
  let attempts = 0;
  let register: (server: Parameters<Parameters<typeof mcp.connect>[0]>[0]) => void;

  beforeAll(async () => {
    upstream = await startUpstream();
    const client = createUpstreamClient({ baseUrl: upstream.url });
    // Chaos sits in the upstream client: the faults look like the API's own.
    const report = chaos.wrap((metric: string, days: number, signal?: AbortSignal) =>
      client.report(metric, days, signal),
    );
    const fetchReport = async (args: ReportArgs, { signal }: { signal: AbortSignal }) => {
      attempts += 1;
      const value = await bulkhead.execute(
        ({ signal: slotSignal }) => report(args.metric, args.days, slotSignal),
        { signal },
      );
      lastGood.set(keyOf(args), value);
      return text(value);
    };
    const lastGoodReport = async (args: ReportArgs) => {
      const value = lastGood.get(keyOf(args));
      return value === undefined
        ? {
            content: [{ type: "text" as const, text: "Service temporarily unavailable" }],
            isError: true,
          }
        : text(value);
    };
    const retried = withRetry(withBreaker(fetchReport, { breaker }), {
      idempotent: true,
      attempts: 3,
      minDelayMs: 5,
      maxDelayMs: 50,
      budget,
    });
    const getReport = withFallback(async (args: ReportArgs, extra: { signal: AbortSignal }) => {
      toolCalls += 1;
      return retried(args, extra);
    }, lastGoodReport);
    register = (server) =>
      server.registerTool("get_report", { inputSchema: reportInput }, getReport);
  });

  afterAll(async () => {
    await mcp.closeAll();
    bulkhead.close();
    breaker.close();
    await upstream?.close();
  });

  /** `lanes` clients, each on its own server (as per-request servers are), making `perLane` calls in turn. */
  async function load(
    lanes: number,
    perLane: number,
    offset: number,
  ): Promise<Array<{ args: ReportArgs; answer: Answer }>> {
    const clients = await Promise.all(Array.from({ length: lanes }, () => mcp.connect(register)));
    const answers = await Promise.all(
      clients.map(async (client, lane) => {
        const own: Array<{ args: ReportArgs; answer: Answer }> = [];
        for (let index = 0; index < perLane; index++) {
          const args = KEYS[(offset + lane * perLane + index) % KEYS.length] as ReportArgs;
          // A hung call fails this request instead of stalling the test.
          const answer = (await client.callTool(
            { name: "get_report", arguments: args },
            undefined,
            {
              timeout: 15_000,
            },
          )) as Answer;
          own.push({ args, answer });
        }
        return own;
      }),
    );
    return answers.flat();
  }

  function expectWithinBudget(): void {
    // Each tool call is one first attempt; retries are capped by the budget.
    expect(budget.stats().calls).toBe(toolCalls);
    expect(attempts).toBeLessThanOrEqual((1 + RATIO) * toolCalls + FLOOR);
  }

  it("warms up with chaos off: every report answered by the upstream", async () => {
    const answers = await load(1, KEYS.length, 0);
    for (const { answer } of answers) {
      expect(answer.isError).toBeUndefined();
      expect(getFallbackMeta(answer)).toBeUndefined();
    }
    expect(lastGood.size).toBe(KEYS.length);
    expect(chaos.stats().calls).toBe(0);
  });

  it("under chaos and 20 concurrent clients: every call answered, retries within budget, the bulkhead sheds into marked fallbacks", async () => {
    chaos.enable();
    const answers = await load(20, 10, 3);
    chaos.disable();
    expect(answers).toHaveLength(200);
    for (const { args, answer } of answers) {
      // Every call answered with a report: fresh, or the last good one marked degraded.
      expect(answer.isError).toBeUndefined();
      const report = JSON.parse(answer.content?.[0]?.text ?? "null") as Report;
      expect(report).toMatchObject({ metric: args.metric, days: args.days });
    }
    const stats = chaos.stats();
    expect(stats.error).toBeGreaterThan(0);
    expect(stats.latency).toBeGreaterThan(0);
    // Retries absorbed injected faults, within the budget.
    const retried = answers.filter(({ answer }) => {
      const meta = answer._meta?.[RETRY_META_KEY] as { attempts: number } | undefined;
      return meta !== undefined && meta.attempts > 1;
    });
    expect(retried.length).toBeGreaterThan(0);
    expectWithinBudget();
    // The bulkhead shed the burst; each shed call got the last good report, marked.
    const { rejected, timedOut } = bulkhead.stats();
    expect(rejected + timedOut).toBeGreaterThan(0);
    const degraded = answers.filter(({ answer }) => getFallbackMeta(answer) !== undefined);
    expect(degraded.length).toBeGreaterThan(0);
    for (const { args, answer } of degraded) {
      expect(getFallbackMeta(answer)).toMatchObject({ degraded: true, attempt: 1 });
      expect(JSON.parse(answer.content?.[0]?.text ?? "null")).toEqual(lastGood.get(keyOf(args)));
    }
    expect(bulkhead.stats()).toMatchObject({ active: 0, queued: 0 });
  });

  it("when the upstream fails: the breaker opens, traffic to it stops, and every call gets a marked fallback", async () => {
    upstream.setKnobs({ failureRate: 1 });
    chaos.enable();
    // The breaker's window still holds the successes of the chaos round: load
    // until the failures outweigh them, at most five rounds of 60 calls.
    const failing: Array<{ args: ReportArgs; answer: Answer }> = [];
    for (let round = 0; round < 5 && breaker.stats().state !== "open"; round++)
      failing.push(...(await load(10, 6, 5 + round)));
    expect(breaker.stats().state).toBe("open");
    const requestsWhenOpen = upstream.requests;
    const whileOpen = await load(10, 4, 7);
    // The open breaker answers at once: the upstream sees none of these calls.
    expect(upstream.requests).toBe(requestsWhenOpen);
    for (const { args, answer } of [...failing, ...whileOpen]) {
      expect(answer.isError).toBeUndefined();
      expect(getFallbackMeta(answer)).toMatchObject({ degraded: true });
      expect(JSON.parse(answer.content?.[0]?.text ?? "null")).toEqual(lastGood.get(keyOf(args)));
    }
    // Answered by the breaker at once, not retried: its retryAfterMs is longer than maxDelayMs.
    for (const { answer } of whileOpen) expect(answer._meta?.[RETRY_META_KEY]).toBeUndefined();
    expectWithinBudget();
    expect(bulkhead.stats()).toMatchObject({ active: 0, queued: 0 });
    chaos.disable();
  });
});
