/**
 * Tool calls per second and p50/p99 latency through the gateway against
 * straight to the backend, with the SDK `Client` over Streamable HTTP on
 * loopback, at concurrency 1 (one client, sequential calls) and 16 (16 clients
 * calling in parallel). Backend, gateway and clients share this process, so
 * the gateway's cost shows as latency and as CPU taken from the same event loop.
 *
 * The contenders are interleaved in rounds of ROUND_MS each, direct and
 * gateway alternating and the order flipping every round (ABBA) so that a load
 * change on the machine lands on both. Latencies of every round are pooled per
 * contender; "added p50 per round" is the spread of the per-round differences.
 * "CPU ms/call" is this process's CPU time per call (clients, gateway and
 * backend together), which other work on the machine disturbs far less than
 * latency; "CPU used" below 100% means the process waited for a core.
 *
 * Run: pnpm --filter @mcp-prod/gateway bench
 */
import { randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import { createTelemetry } from "@mcp-prod/telemetry";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Registry } from "prom-client";
import { z } from "zod";
import { call, connectClient, startBackend } from "../src/gateway.test-helpers.ts";
import { createGateway, parseApiKeys } from "../src/index.ts";

const CONCURRENCIES = [1, 16] as const;
const ROUNDS = 5;
const ROUND_MS = 2_500;
const WARMUP_MS = 1_000;
const HOST = "127.0.0.1";
// Far above what the bench can reach: this measures the allowed path.
const HUGE_LIMIT = { points: 1_000_000_000, durationSeconds: 60 };

type Contender = "direct" | "gateway";
type Sample = { latencies: number[]; calls: number; elapsedMs: number; cpuMs: number };

function startEchoBackend() {
  return startBackend((server) => {
    server.registerTool(
      "echo",
      { description: "Answers with its input", inputSchema: { text: z.string() } },
      async ({ text }) => ({ content: [{ type: "text", text }] }),
    );
  });
}

/** Calls `tool` on every client in parallel, each sequentially, until `ms` passed. */
async function drive(clients: readonly Client[], tool: string, ms: number): Promise<Sample> {
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    clients.map(async (client, index) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const text = `${index}:${n}`;
        const before = performance.now();
        const result = await call(client, tool, { text });
        latencies.push(performance.now() - before);
        if (result.isError || result.text !== text) {
          throw new Error(`${tool} answered ${JSON.stringify(result)} to ${text}`);
        }
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { latencies, calls: latencies.length, elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

function summarize(samples: readonly Sample[]) {
  const sorted = samples.flatMap((sample) => sample.latencies).sort((a, b) => a - b);
  const calls = samples.reduce((sum, sample) => sum + sample.calls, 0);
  const elapsedMs = samples.reduce((sum, sample) => sum + sample.elapsedMs, 0);
  const cpuMs = samples.reduce((sum, sample) => sum + sample.cpuMs, 0);
  return {
    cpuPerCall: cpuMs / calls,
    cpuShare: cpuMs / elapsedMs,
    calls,
    perSecond: (calls / elapsedMs) * 1000,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    roundP50s: samples.map((sample) =>
      percentile(
        [...sample.latencies].sort((a, b) => a - b),
        50,
      ),
    ),
  };
}

const ms = (value: number) => value.toFixed(3);
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");

async function main(): Promise<void> {
  const maxClients = Math.max(...CONCURRENCIES);
  const backend = await startEchoBackend();
  const keys = Array.from({ length: maxClients }, (_, index) => `bench-key-${index}`);
  const gateway = await createGateway({
    host: HOST,
    port: 0,
    backends: [{ prefix: "bench", url: backend.url }],
    auth: { apiKeys: parseApiKeys(keys.map((key, index) => `${key}=client-${index}:*`).join(",")) },
    telemetry: createTelemetry({ serviceName: "mcp-gateway", registry: new Registry() }),
    toolRateLimit: HUGE_LIMIT,
    requestRateLimit: HUGE_LIMIT,
    rateLimitKeyPrefix: `bench-${randomUUID()}`,
  });

  // One client per caller, each with its own API key at the gateway, as distinct clients would be.
  const direct = await Promise.all(
    keys.map(() => connectClient(backend.url.replace(/\/mcp$/, ""))),
  );
  const viaGateway = await Promise.all(
    keys.map((key) => connectClient(gateway.url, { authorization: `Bearer ${key}` })),
  );
  const contenders: Record<Contender, { clients: Client[]; tool: string }> = {
    direct: { clients: direct, tool: "echo" },
    gateway: { clients: viaGateway, tool: "bench.echo" },
  };

  const loadBefore = load();
  const rows: Record<string, string | number>[] = [];
  const overhead: Record<string, string | number>[] = [];
  try {
    for (const concurrency of CONCURRENCIES) {
      const samples: Record<Contender, Sample[]> = { direct: [], gateway: [] };
      for (const { clients, tool } of Object.values(contenders)) {
        await drive(clients.slice(0, concurrency), tool, WARMUP_MS);
      }
      for (let round = 0; round < ROUNDS; round++) {
        const order: Contender[] = round % 2 === 0 ? ["direct", "gateway"] : ["gateway", "direct"];
        for (const name of order) {
          const { clients, tool } = contenders[name];
          samples[name].push(await drive(clients.slice(0, concurrency), tool, ROUND_MS));
        }
      }
      const d = summarize(samples.direct);
      const g = summarize(samples.gateway);
      for (const [name, summary] of [
        ["direct", d],
        ["gateway", g],
      ] as const) {
        rows.push({
          concurrency,
          contender: name,
          calls: summary.calls,
          "calls/s": Math.round(summary.perSecond),
          "p50 ms": ms(summary.p50),
          "p99 ms": ms(summary.p99),
          "CPU ms/call": ms(summary.cpuPerCall),
          "CPU used": `${Math.round(summary.cpuShare * 100)}%`,
        });
      }
      const perRound = g.roundP50s.map((p50, index) => p50 - (d.roundP50s[index] ?? Number.NaN));
      overhead.push({
        concurrency,
        "added p50 ms": ms(g.p50 - d.p50),
        "added p99 ms": ms(g.p99 - d.p99),
        "added CPU ms/call": ms(g.cpuPerCall - d.cpuPerCall),
        "added p50 per round (min..max)": `${ms(Math.min(...perRound))}..${ms(Math.max(...perRound))}`,
        "gateway/direct calls/s": (g.perSecond / d.perSecond).toFixed(2),
      });
    }
  } finally {
    await Promise.all([...direct, ...viaGateway].map((client) => client.close()));
    await gateway.close();
    await backend.close();
  }

  console.log(
    `\n@mcp-prod/gateway: SDK Client over Streamable HTTP on loopback, ${ROUNDS} interleaved rounds × ${ROUND_MS} ms per contender, Node ${process.version}`,
  );
  console.log(`load average (1/5/15 min): before ${loadBefore}, after ${load()}\n`);
  console.table(rows);
  console.table(overhead);
}

await main();
