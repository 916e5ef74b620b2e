import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createBreaker, withBreaker } from "@mcp-prod/breaker";
import { createCache, withCache } from "@mcp-prod/cache";
import { withFallback } from "@mcp-prod/fallback";
import { createMemoryStore, withIdempotency } from "@mcp-prod/idempotency";
import { createPool } from "@mcp-prod/pool";
import { createRateLimiter, withRateLimit } from "@mcp-prod/ratelimit";
import { compose, createTelemetry, withTelemetry } from "@mcp-prod/telemetry";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { buildDashboard } from "../monitoring/dashboard.ts";
import { containerEnv, readCompose, root } from "./compose.ts";
import { kustomize } from "./kubectl.ts";
import { servers } from "./servers.ts";

const monitoring = join(root, "deploy", "monitoring");
const read = (file: string) => readFileSync(join(monitoring, file), "utf8");

/** One series of a Prometheus text exposition: its family, labels and value. */
type Series = { name: string; labels: Record<string, string>; value: number };

function parseExposition(text: string): Series[] {
  const series: Series[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(
        (pair) => [pair[1], pair[2]],
      ),
    );
    series.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return series;
}

/** promtool from Debian's prometheus package; CI installs it (.ci/run), elsewhere it may be missing. */
const promtool = (() => {
  try {
    execFileSync("promtool", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    if (process.env.CI) throw new Error("CI must have promtool (apt-get install prometheus)");
    return false;
  }
})();

/**
 * The /metrics of a server built on the packages, scraped over HTTP after it
 * served calls that end every way a call can: success, served from the cache,
 * degraded (a fallback answered), refused by a rate limit and by an open
 * breaker, failed; with a pool that ran a query and a gateway-style backend
 * breaker that opened, and a tool called twice with one idempotency key.
 */
async function scrapeRealServer(): Promise<Series[]> {
  const telemetry = createTelemetry({ serviceName: "monitoring-test" });
  const cache = createCache({ name: "reports" });
  const limiter = createRateLimiter({ name: "tools", points: 6, durationSeconds: 60 });
  const upstream = createBreaker({
    name: "upstream",
    consecutiveFailures: 1,
    resetTimeout: 60_000,
  });
  const backend = createBreaker({
    name: "backend:users",
    consecutiveFailures: 1,
    resetTimeout: 60_000,
  });
  const pool = createPool({
    connectionString: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
    name: "users",
    max: 2,
  });
  telemetry.observeCache(cache);
  telemetry.observeRateLimiter(limiter);
  telemetry.observeBreaker(upstream);
  telemetry.observeBreaker(backend);
  telemetry.observePool(pool);
  const idempotency = createMemoryStore();
  telemetry.observeIdempotency(idempotency);

  const text = (value: string) => ({ content: [{ type: "text" as const, text: value }] });
  const server = new McpServer({ name: "monitoring-test", version: "0.0.0" });
  server.registerTool(
    "get_report",
    { inputSchema: { id: z.string() } },
    compose(
      "get_report",
      async ({ id }) => {
        if (id.startsWith("down")) throw new Error("upstream API down");
        return text(`report ${id}`);
      },
      withTelemetry({ telemetry }),
      withRateLimit({ limiter }),
      withFallback({ fallback: async ({ id }) => text(`last known report ${id}`) }),
      withBreaker({ breaker: upstream }),
      withCache({ cache, key: ({ id }) => `report:${id}`, ttlSeconds: 60 }),
    ),
  );
  server.registerTool(
    "users.search_users",
    { inputSchema: { query: z.string() } },
    compose(
      "users.search_users",
      async ({ query }) => {
        if (query === "fail") throw new Error("backend unreachable");
        await pool.query("SELECT 1");
        return text("[]");
      },
      withTelemetry({ telemetry }),
      withBreaker({ breaker: backend }),
    ),
  );
  server.registerTool(
    "send_notification",
    { inputSchema: { to: z.string() } },
    compose(
      "send_notification",
      async ({ to }) => text(`sent to ${to}`),
      withTelemetry({ telemetry }),
      withIdempotency({ store: idempotency }),
    ),
  );
  const client = new Client({ name: "monitoring-test", version: "0.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  const http = createServer(telemetry.metricsHandler());
  try {
    const report = (id: string) => client.callTool({ name: "get_report", arguments: { id } });
    const search = (query: string) =>
      client.callTool({ name: "users.search_users", arguments: { query } });
    await report("a"); // success, cache miss
    await report("a"); // success, cache hit
    await report("down-1"); // the upstream fails: the breaker opens, the fallback answers (degraded)
    await report("down-2"); // the breaker refuses, the fallback answers (degraded)
    await report("b");
    await report("c");
    await report("d"); // over the rate limit: limited
    await search("ada"); // a pool query: success
    await search("fail"); // error; the backend's breaker opens
    await search("ada"); // refused by the open breaker: rejected
    const send = (to: string) =>
      client.callTool({
        name: "send_notification",
        arguments: { to },
        _meta: { "mcp-prod/idempotency-key": "one-key" },
      });
    await send("ada"); // success
    await send("ada"); // the same key again: replayed
    await send("grace"); // the same key with other arguments: refused (mismatch)
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const { port } = http.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    return parseExposition(await response.text());
  } finally {
    await new Promise((resolve) => http.close(resolve));
    await client.close();
    await server.close();
    await pool.close();
    await idempotency.close();
    await cache.close();
    await limiter.close();
    upstream.close();
    backend.close();
    await telemetry.close();
  }
}

/** The metric names a PromQL expression reads. */
const metricsIn = (expr: string) =>
  [...expr.matchAll(/\b(mcp_[a-z_]+)\b/g)].map((match) => match[1] as string);
/** A histogram's series belong to the family without _bucket/_sum/_count. */
const family = (name: string) => name.replace(/_(bucket|sum|count)$/, "");

type RuleGroup = { rules: { alert: string; expr: string }[] };
type PromtoolTests = {
  tests: {
    input_series: { series: string }[];
    alert_rule_test: { alertname: string; exp_alerts: unknown[] }[];
  }[];
};

describe("the alert rules and the dashboard", () => {
  let scraped: Series[];
  beforeAll(async () => {
    scraped = await scrapeRealServer();
  }, 60_000);

  it("the scrape shows every family the alerts and the dashboard are built on", () => {
    const names = new Set(scraped.map((series) => series.name));
    const statuses = new Set(
      scraped
        .filter((series) => series.name === "mcp_tool_calls_total" && series.value > 0)
        .map((series) => series.labels.status),
    );
    expect([...statuses].sort()).toEqual([
      "degraded",
      "error",
      "limited",
      "rejected",
      "replayed",
      "success",
    ]);
    const rules = (parse(read("alerts.yml")) as { groups: RuleGroup[] }).groups.flatMap(
      (group) => group.rules,
    );
    const dashboard = JSON.stringify(buildDashboard());
    const used = new Set([
      ...rules.flatMap((rule) => metricsIn(rule.expr)),
      ...[...dashboard.matchAll(/"expr":"((?:[^"\\]|\\.)*)"/g)].flatMap((match) =>
        metricsIn(match[1] as string),
      ),
    ]);
    for (const name of used) expect(names, `${name} is not exported`).toContain(name);
    expect(used.size).toBeGreaterThanOrEqual(12);
  });

  it("each unit test feeds the series the packages export: names, label names and label values", () => {
    const tests = parse(read("alerts.test.yml")) as PromtoolTests;
    for (const test of tests.tests) {
      for (const input of test.input_series) {
        const [, name = "", labelText = ""] = /^([a-z_]+)\{(.*)\}$/.exec(input.series) ?? [];
        const labels = Object.fromEntries(
          [...labelText.matchAll(/([a-z_]+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]),
        );
        // job and instance are the labels Prometheus adds to every series it scrapes.
        const { job, instance, ...own } = labels;
        expect(job && instance, input.series).toBeTruthy();
        const real = scraped.filter((series) => series.name === name);
        expect(real.length, `${name} is not exported`).toBeGreaterThan(0);
        expect(Object.keys(own).sort(), input.series).toEqual(
          Object.keys(real[0]?.labels ?? {}).sort(),
        );
        // The values that come from a closed set are ones the packages really write.
        for (const key of ["status", "state", "le", "tier"]) {
          if (!(key in own)) continue;
          const values = new Set(
            scraped
              .filter((series) => family(series.name) === family(name))
              .map((series) => series.labels[key]),
          );
          expect(values, `${input.series}: ${key}`).toContain(own[key]);
        }
      }
    }
  });

  it("every alert has a unit test in which it fires", () => {
    const rules = (parse(read("alerts.yml")) as { groups: RuleGroup[] }).groups.flatMap(
      (group) => group.rules,
    );
    const tests = parse(read("alerts.test.yml")) as PromtoolTests;
    const firing = new Set(
      tests.tests.flatMap((test) =>
        test.alert_rule_test
          .filter((each) => each.exp_alerts.length > 0)
          .map((each) => each.alertname),
      ),
    );
    expect(rules.map((rule) => rule.alert).sort()).toEqual([
      "McpBreakerOpen",
      "McpGatewayBackendDown",
      "McpPoolExhausted",
      "McpToolDegradedRatioHigh",
      "McpToolErrorRatioHigh",
      "McpToolLatencyP99High",
      "McpToolRateLimitedRatioHigh",
    ]);
    for (const rule of rules) expect(firing, rule.alert).toContain(rule.alert);
  });

  it.skipIf(!promtool)("promtool checks the rules and passes their unit tests", () => {
    const check = execFileSync("promtool", ["check", "rules", "alerts.yml"], {
      cwd: monitoring,
      encoding: "utf8",
    });
    expect(check).toContain("SUCCESS: 7 rules found");
    const test = execFileSync("promtool", ["test", "rules", "alerts.test.yml"], {
      cwd: monitoring,
      encoding: "utf8",
    });
    expect(test).toContain("SUCCESS");
  });

  it("dashboard.json is what dashboard.ts builds, with a panel for each thing an operator watches", () => {
    const built = buildDashboard();
    expect(JSON.parse(read("dashboard.json"))).toEqual(JSON.parse(JSON.stringify(built)));
    const titles = (built.panels ?? []).map((panel) => (panel as { title?: string }).title);
    for (const title of [
      "Tool calls by status",
      "Tool call duration, p50 and p99",
      "Breakers not closed",
      "Breaker rejections and timeouts",
      "Cache hit ratio",
      "Where answers came from",
      "Pool saturation",
      "Rate-limit refusals",
      "Degraded answers",
      "Backends down",
      "Calls per backend",
      "Retried calls answered once",
      "Idempotency refusals and store errors",
    ])
      expect(titles).toContain(title);
  });

  it("Kubernetes gets both as ConfigMaps, the dashboard labelled for Grafana's sidecar", () => {
    const rendered = kustomize(monitoring) as unknown as {
      kind: string;
      metadata: { name: string; labels?: Record<string, string> };
      data: Record<string, string>;
    }[];
    const byName = Object.fromEntries(rendered.map((each) => [each.metadata.name, each]));
    expect(Object.keys(byName).sort()).toEqual(["mcp-prod-alerts", "mcp-prod-dashboard"]);
    expect(byName["mcp-prod-alerts"]?.data["alerts.yml"]).toBe(read("alerts.yml"));
    expect(byName["mcp-prod-dashboard"]?.data["mcp-prod.json"]).toBe(read("dashboard.json"));
    expect(byName["mcp-prod-dashboard"]?.metadata.labels?.grafana_dashboard).toBe("1");
  });

  it("the compose overlay scrapes every replica of every server on its SERVER_PORT, loads the rules and the dashboard", () => {
    const overlay = parse(
      readFileSync(join(root, "deploy", "docker-compose.monitoring.yml"), "utf8"),
    ) as {
      services: Record<string, { volumes: string[]; ports: string[] }>;
    };
    const config = parse(read("prometheus.yml")) as {
      rule_files: string[];
      scrape_configs: {
        job_name: string;
        dns_sd_configs: { names: string[]; type: string; port: number }[];
      }[];
    };
    const compose = readCompose();
    expect(config.scrape_configs.map((job) => job.job_name).sort()).toEqual(
      servers.map((server) => server.name).sort(),
    );
    for (const job of config.scrape_configs) {
      // Every replica (`--scale`): Docker's DNS answers the service name with each one's address.
      expect(job.dns_sd_configs).toEqual([
        {
          names: [job.job_name],
          type: "A",
          port: Number(containerEnv(compose, job.job_name).SERVER_PORT),
        },
      ]);
    }
    expect(config.rule_files).toEqual(["alerts.yml"]);
    expect(overlay.services.prometheus?.volumes).toEqual(
      expect.arrayContaining([
        "./monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro",
        "./monitoring/alerts.yml:/etc/prometheus/alerts.yml:ro",
      ]),
    );
    expect(overlay.services.grafana?.volumes).toContain(
      "./monitoring/dashboard.json:/var/lib/grafana/dashboards/mcp-prod.json:ro",
    );
    for (const name of ["prometheus", "grafana"])
      for (const port of overlay.services[name]?.ports ?? [])
        expect(port, name).toMatch(/^127\.0\.0\.1:/);
    if (promtool) {
      const check = execFileSync("promtool", ["check", "config", "prometheus.yml"], {
        cwd: monitoring,
        encoding: "utf8",
      });
      expect(check).toContain("valid prometheus config file syntax");
    }
  });
});
