import { type SharedBreaker, withBreaker } from "@mcp-prod/breaker";
import { type Cache, withCache } from "@mcp-prod/cache";
import { withFallback } from "@mcp-prod/fallback";
import type { Telemetry } from "@mcp-prod/telemetry";
import { z } from "zod";
import type { createUpstreamClient, Report } from "./upstream-client.ts";

export const METRICS = ["active_users", "signups", "revenue", "churn"] as const;

export const reportInput = {
  metric: z.enum(METRICS).describe("Which metric"),
  days: z.number().int().min(1).max(90).default(7).describe("How many days back"),
};

type ReportArgs = { metric: (typeof METRICS)[number]; days: number };
type Extra = { signal: AbortSignal };

const UNAVAILABLE = "Service temporarily unavailable";
const text = (value: unknown) => ({
  content: [{ type: "text" as const, text: JSON.stringify(value) }],
});

/**
 * The analytics tools, wrapped once (their breaker and cache state must
 * outlive the per-request MCP servers). Outermost first:
 * telemetry → fallback (last good value) → breaker → cache → upstream call.
 */
export function createAnalyticsTools(deps: {
  upstream: ReturnType<typeof createUpstreamClient>;
  cache: Cache;
  /** Keeps the last good answer per key for a day: what the fallback serves. */
  lastGood: Cache;
  breaker: SharedBreaker;
  telemetry: Telemetry;
}) {
  const { upstream, cache, lastGood, breaker, telemetry } = deps;
  const reportKey = (args: unknown) => {
    const { metric, days } = args as ReportArgs;
    return `report:${metric}:${days}`;
  };

  const fetchReport = async (args: ReportArgs, { signal }: Extra) => {
    const report: Report = await upstream.report(args.metric, args.days, signal);
    await lastGood.set(reportKey(args), report, { ttlSeconds: 86_400 }).catch(() => {});
    return text(report);
  };

  const lastGoodReport = async (args: ReportArgs) => {
    const report = await lastGood.get<Report>(reportKey(args)).catch(() => undefined);
    if (report === undefined) {
      return { content: [{ type: "text" as const, text: UNAVAILABLE }], isError: true };
    }
    return text(report);
  };

  const getReport = telemetry.wrap(
    "get_report",
    withFallback(
      withBreaker(withCache(fetchReport, { cache, key: reportKey, ttlSeconds: 30 }), {
        breaker,
        openMessage: UNAVAILABLE,
      }),
      lastGoodReport,
    ),
  );

  const listMetrics = telemetry.wrap(
    "list_metrics",
    withFallback(
      withBreaker(
        withCache(async ({ signal }: Extra) => text(await upstream.metrics(signal)), {
          cache,
          key: () => "metrics",
          ttlSeconds: 300,
        }),
        { breaker, openMessage: UNAVAILABLE },
      ),
      text({ metrics: METRICS }),
    ),
  );

  return { getReport, listMetrics };
}
