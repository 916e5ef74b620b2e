// The Grafana dashboard for mcp-prod's Prometheus metrics, built with Grafana's
// foundation SDK. dashboard.json is its output, committed so that Grafana (and
// the compose and Kubernetes set-ups) load it without running anything:
//   pnpm --filter @mcp-prod-examples/deploy dashboard
// regenerates it after a change here; a test fails while the two differ.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as common from "@grafana/grafana-foundation-sdk/common";
import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableHide,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";

/** A dashboard variable's reference, `${name}`. */
const variable = (name: string) => `$\{${name}}`;
const datasource = { type: "prometheus", uid: variable("datasource") };
/** Every query is limited to the servers picked in the `job` variable. */
const job = 'job=~"$job"';
const rate = (selector: string) => `rate(${selector}[$__rate_interval])`;

const query = (expr: string, legend: string) =>
  new DataqueryBuilder().datasource(datasource).expr(expr).legendFormat(legend);

function timeseries(
  title: string,
  description: string,
  unit: string,
  targets: ReturnType<typeof query>[],
  options: { stacked?: boolean; max?: number } = {},
) {
  const panel = new TimeseriesPanel()
    .title(title)
    .description(description)
    .datasource(datasource)
    .unit(unit)
    .min(0)
    .height(8)
    .span(12)
    .fillOpacity(options.stacked ? 60 : 10)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    );
  if (options.stacked)
    panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (options.max !== undefined) panel.max(options.max);
  for (const target of targets) panel.withTarget(target);
  return panel;
}

function stat(title: string, description: string, unit: string, expr: string) {
  return new StatPanel()
    .title(title)
    .description(description)
    .datasource(datasource)
    .unit(unit)
    .height(4)
    .span(6)
    .graphMode(common.BigValueGraphMode.Area)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]))
    .withTarget(query(expr, title));
}

/** The dashboard, as the JSON model Grafana imports. */
export function buildDashboard() {
  const calls = (filter = "") => `sum by (tool) (${rate(`mcp_tool_calls_total{${job}${filter}}`)})`;
  const ratio = (status: string) => `${calls(`, status="${status}"`)} / ${calls()}`;
  const quantile = (q: number, metric: string, by: string) =>
    `histogram_quantile(${q}, sum by (le, ${by}) (${rate(`${metric}_bucket{${job}}`)}))`;
  const backendBreaker = `mcp_breaker_state{${job}, breaker=~"backend:.+", state="open"}`;

  return new DashboardBuilder("mcp-prod")
    .uid("mcp-prod")
    .description(
      "MCP servers built with mcp-prod: tool calls, latency, circuit breakers, caches, connection pools, rate limits, fallbacks, the gateway's backends and idempotent retries.",
    )
    .tags(["mcp", "mcp-prod"])
    .editable()
    .refresh("30s")
    .time({ from: "now-1h", to: "now" })
    .timezone("browser")
    .withVariable(
      new DatasourceVariableBuilder("datasource").label("Data source").type("prometheus"),
    )
    .withVariable(
      new QueryVariableBuilder("job")
        .label("Server")
        .datasource(datasource)
        .query("label_values(mcp_tool_calls_total, job)")
        .multi(true)
        .includeAll(true)
        .allValue(".*")
        .refresh(2)
        .hide(VariableHide.DontHide),
    )
    .withRow(new RowBuilder("Tool calls"))
    .withPanel(
      stat(
        "Calls per second",
        "Every tool call, whatever its outcome.",
        "reqps",
        `sum(${rate(`mcp_tool_calls_total{${job}}`)})`,
      ),
    )
    .withPanel(
      stat(
        "Error ratio",
        "Calls that failed (status error) among all calls; refusals (limited, rejected) are not errors.",
        "percentunit",
        `sum(${rate(`mcp_tool_calls_total{${job}, status="error"}`)}) / sum(${rate(`mcp_tool_calls_total{${job}}`)})`,
      ),
    )
    .withPanel(
      stat(
        "Degraded ratio",
        "Answers a fallback served (stale or default values) among all calls.",
        "percentunit",
        `sum(${rate(`mcp_tool_calls_total{${job}, status="degraded"}`)}) / sum(${rate(`mcp_tool_calls_total{${job}}`)})`,
      ),
    )
    .withPanel(
      stat(
        "p99 duration",
        "The slowest 1 % of tool calls took at least this long.",
        "s",
        `histogram_quantile(0.99, sum by (le) (${rate(`mcp_tool_duration_seconds_bucket{${job}}`)}))`,
      ),
    )
    .withPanel(
      timeseries(
        "Tool calls by status",
        "success, degraded (a fallback answered), error, cancelled, limited (a rate limit refused it), rejected (an open breaker or a full bulkhead refused it).",
        "reqps",
        [query(`sum by (status) (${rate(`mcp_tool_calls_total{${job}}`)})`, "{{status}}")],
        { stacked: true },
      ),
    )
    .withPanel(
      timeseries(
        "Tool call duration, p50 and p99",
        "Per tool, from mcp_tool_duration_seconds.",
        "s",
        [
          query(quantile(0.5, "mcp_tool_duration_seconds", "tool"), "p50 {{tool}}"),
          query(quantile(0.99, "mcp_tool_duration_seconds", "tool"), "p99 {{tool}}"),
        ],
      ),
    )
    .withPanel(
      timeseries(
        "Degraded answers",
        "Calls a fallback answered, per tool, and their share.",
        "percentunit",
        [query(ratio("degraded"), "{{tool}}")],
      ),
    )
    .withPanel(
      timeseries(
        "Rate-limit refusals",
        "Calls refused by each rate limiter (per client, per tool, the gateway's per-request and failed-authentication limiters).",
        "reqps",
        [query(`sum by (limiter) (${rate(`mcp_ratelimit_limited_total{${job}}`)})`, "{{limiter}}")],
        { stacked: true },
      ),
    )
    .withRow(new RowBuilder("Circuit breakers"))
    .withPanel(
      timeseries(
        "Breakers not closed",
        "1 while a breaker is open (calls refused at once) or half-open (a trial call is let through).",
        "short",
        [
          query(
            `max by (breaker, state) (mcp_breaker_state{${job}, state!="closed"}) > 0`,
            "{{breaker}} {{state}}",
          ),
        ],
        { max: 1 },
      ),
    )
    .withPanel(
      timeseries(
        "Breaker rejections and timeouts",
        "Calls refused without running because the breaker was open, and calls it timed out.",
        "reqps",
        [
          query(
            `sum by (breaker) (${rate(`mcp_breaker_rejects_total{${job}}`)})`,
            "rejected {{breaker}}",
          ),
          query(
            `sum by (breaker) (${rate(`mcp_breaker_timeouts_total{${job}}`)})`,
            "timed out {{breaker}}",
          ),
        ],
      ),
    )
    .withRow(new RowBuilder("Caches"))
    .withPanel(
      timeseries(
        "Cache hit ratio",
        "Hits among lookups, per cache and tier (l1 in memory, l2 Redis).",
        "percentunit",
        [
          query(
            `sum by (cache, tier) (${rate(`mcp_cache_hits_total{${job}}`)}) / (sum by (cache, tier) (${rate(`mcp_cache_hits_total{${job}}`)}) + sum by (cache, tier) (${rate(`mcp_cache_misses_total{${job}}`)}))`,
            "{{cache}} {{tier}}",
          ),
        ],
        { max: 1 },
      ),
    )
    .withPanel(
      timeseries(
        "Where answers came from",
        "Cache hits by tier, and stale values served while the source was slow or failing.",
        "reqps",
        [
          query(`sum by (tier) (${rate(`mcp_cache_hits_total{${job}}`)})`, "hit {{tier}}"),
          query(`sum(${rate(`mcp_cache_stale_served_total{${job}}`)})`, "stale"),
          query(`sum by (tier) (${rate(`mcp_cache_misses_total{${job}}`)})`, "miss {{tier}}"),
        ],
        { stacked: true },
      ),
    )
    .withRow(new RowBuilder("Connection pools"))
    .withPanel(
      timeseries(
        "Pool saturation",
        "Connections in use among the pool's maximum, per instance; at 100 % callers wait.",
        "percentunit",
        [
          query(
            `max by (instance, pool) (mcp_pool_connections{${job}} - mcp_pool_idle_connections{${job}}) / max by (instance, pool) (mcp_pool_max_connections{${job}})`,
            "{{pool}} {{instance}}",
          ),
        ],
        { max: 1 },
      ),
    )
    .withPanel(
      timeseries(
        "Waiting for a connection",
        "Callers waiting, and the p99 of how long they wait.",
        "short",
        [
          query(`sum by (pool) (mcp_pool_waiting_requests{${job}})`, "waiting {{pool}}"),
          query(quantile(0.99, "mcp_pool_acquire_seconds", "pool"), "p99 wait (s) {{pool}}"),
        ],
      ),
    )
    .withRow(new RowBuilder("Gateway"))
    .withPanel(
      stat(
        "Backends down",
        "Backends whose breaker in the gateway is open: their tools answer errors.",
        "short",
        `count(max by (breaker) (${backendBreaker}) == 1) or vector(0)`,
      ),
    )
    .withPanel(
      timeseries(
        "Backend breakers",
        "The gateway's breaker per backend: 1 while open.",
        "short",
        [query(`max by (breaker) (${backendBreaker})`, "{{breaker}}")],
        { max: 1 },
      ),
    )
    .withPanel(
      timeseries(
        "Calls per backend",
        "Tool calls through the gateway, by the backend's prefix (users.search_users → users) and status.",
        "reqps",
        [
          query(
            `sum by (backend, status) (label_replace(${rate(`mcp_tool_calls_total{${job}, tool=~"[^.]+[.].+"}`)}, "backend", "$1", "tool", "([^.]+)[.].+"))`,
            "{{backend}} {{status}}",
          ),
        ],
        { stacked: true },
      ),
    )
    .withRow(new RowBuilder("Idempotency"))
    .withPanel(
      timeseries(
        "Retried calls answered once",
        "Duplicates of a tool call (the same idempotency key) answered with the first call's stored result, per tool; a duplicate that came while the first still ran waited for it.",
        "reqps",
        [
          query(
            `sum by (tool, event) (${rate(`mcp_idempotency_events_total{${job}, event=~"replayed|waited"}`)})`,
            "{{tool}} {{event}}",
          ),
        ],
      ),
    )
    .withPanel(
      timeseries(
        "Idempotency refusals and store errors",
        "Keys reused with other arguments (refused), duplicates that gave up waiting, results too large to store, and failures of the idempotency store.",
        "reqps",
        [
          query(
            `sum by (tool, event) (${rate(`mcp_idempotency_events_total{${job}, event=~"mismatch|inProgress|notStored|storeError"}`)})`,
            "{{tool}} {{event}}",
          ),
        ],
        { stacked: true },
      ),
    )
    .build();
}

if (process.argv[1] === import.meta.filename) {
  const file = join(import.meta.dirname, "dashboard.json");
  writeFileSync(file, `${JSON.stringify(buildDashboard(), null, 2)}\n`);
  process.stdout.write(`wrote ${file}\n`);
}
