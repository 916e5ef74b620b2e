/**
 * `pnpm bench`: tool calls through the gateway as production runs them, the load generator,
 * the gateway and the backend each a process of its own (bench/load.ts, bench/servers.mjs).
 *
 * autocannon posts `tools/call echo` to a backend without sessions (an SDK McpServer per
 * request): straight to it (direct), through a bare node:http reverse proxy (hop: what one
 * loopback hop costs in Node), and through the gateway on a session and without one, with and
 * without Redis, at concurrency 1 and 16. SDK clients (the load generator's own process) then
 * compare the gateway with mcp-hub 4.2, whose unified endpoint speaks the older SSE transport.
 * Last, one 8 MB result direct and through the gateway.
 *
 * Rounds are interleaved (each round runs every contender, the order reversed every other
 * round); figures are medians over rounds, ratios the median of per-round ratios. At
 * concurrency 1 a call's latency is 1/throughput: "added" is what a contender adds per call
 * over direct.
 *
 * Run: pnpm --filter @mcp-prod/gateway bench   (BENCH_ROUNDS, BENCH_MS to change the length)
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { connect } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { median, pairedRatio } from "@mcp-prod/testkit/bench";
import type { Outcome, Task } from "./load.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RUN_MS = Number(process.env.BENCH_MS ?? 3000);
const CONCURRENCIES = [1, 16] as const;
const here = import.meta.dirname;
const children: ChildProcess[] = [];
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/** Starts one of bench/servers.mjs as a process; resolves with its URL. */
function server(args: string[], env: Record<string, string> = {}): Promise<string> {
  const child = spawn(process.execPath, [join(here, "servers.mjs"), ...args], {
    env: { ...process.env, ...env, NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).once(
      "line",
      (line) => resolve((JSON.parse(line) as { url: string }).url),
    );
    child.once("exit", (code) => reject(new Error(`${args[0]} exited (${code})`)));
  });
}

/** mcp-hub 4.2 in front of `backend`, its unified endpoint at /mcp. */
async function mcpHub(backend: string): Promise<string> {
  const cli = createRequire(import.meta.url).resolve("mcp-hub/dist/cli.js");
  const dir = mkdtempSync(join(tmpdir(), "mcp-hub-bench-"));
  const config = join(dir, "servers.json");
  writeFileSync(config, JSON.stringify({ mcpServers: { echo: { url: backend } } }));
  const port = 30_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, [cli, "--port", String(port), "--config", config], {
    env: { ...process.env, XDG_STATE_HOME: dir, XDG_CONFIG_HOME: dir, HOME: dir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout as NonNullable<typeof child.stdout> }).on(
      "line",
      (line) => {
        if (line.includes("servers started")) resolve();
      },
    );
    child.once("exit", (code) => reject(new Error(`mcp-hub exited (${code})`)));
  });
  return `http://127.0.0.1:${port}/mcp`;
}

const redisReachable = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

// The load generator: one process for every run.
// The SDK's client adds an abort listener per request to its transport's signal (directly against
// an SDK server too): its MaxListeners warning is the client's, not a finding of this benchmark.
const load = fork(join(here, "load.ts"), [], { execArgv: ["--import", "tsx", "--no-warnings"] });
children.push(load);
let nextId = 0;
const pending = new Map<number, { resolve(outcome: Outcome): void; reject(error: Error): void }>();
load.on("message", (message: { id: number; outcome?: Outcome; error?: string }) => {
  const waiting = pending.get(message.id);
  pending.delete(message.id);
  if (message.error) waiting?.reject(new Error(message.error));
  else waiting?.resolve(message.outcome as Outcome);
});
function run(task: Task): Promise<Outcome> {
  nextId += 1;
  const id = nextId;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    load.send({ id, task });
  });
}

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const withRedis = await redisReachable(redisUrl);
const backend = await server(["backend"]);
const urls: Record<string, string> = {
  direct: backend,
  hop: await server(["hop", backend]),
  gateway: await server(["gateway", backend]),
};
if (withRedis) urls["gateway+redis"] = await server(["gateway", backend], { REDIS_URL: redisUrl });
const hub = await mcpHub(backend);

type Contender = { name: string; task: (connections: number) => Task };
const autocannonContenders: Contender[] = [
  {
    name: "direct",
    task: (c) => ({
      type: "autocannon",
      url: urls.direct as string,
      connections: c,
      durationMs: RUN_MS,
      session: false,
    }),
  },
  {
    name: "hop",
    task: (c) => ({
      type: "autocannon",
      url: urls.hop as string,
      connections: c,
      durationMs: RUN_MS,
      session: false,
    }),
  },
  ...Object.keys(urls)
    .filter((name) => name.startsWith("gateway"))
    .flatMap((name) =>
      [true, false].map((session) => ({
        name: `${name} ${session ? "session" : "stateless"}`,
        task: (c: number): Task => ({
          type: "autocannon",
          url: urls[name] as string,
          connections: c,
          durationMs: RUN_MS,
          session,
        }),
      })),
    ),
];
const peerContenders: Contender[] = [
  {
    name: "gateway (SDK clients)",
    task: (c) => ({
      type: "sdk",
      url: urls.gateway as string,
      transport: "http",
      tool: "echo",
      connections: c,
      durationMs: RUN_MS,
    }),
  },
  {
    name: "mcp-hub 4.2 (SDK clients)",
    task: (c) => ({
      type: "sdk",
      url: hub,
      transport: "sse",
      tool: "echo__echo",
      connections: c,
      durationMs: RUN_MS,
    }),
  },
];

/** Calls per second of each contender, per concurrency, one entry per round. */
const results = new Map<string, Outcome[]>();
const record = (key: string, outcome: Outcome) =>
  results.set(key, [...(results.get(key) ?? []), outcome]);

// Warm every path once (JIT, connection pools) before anything is measured.
for (const contender of [...autocannonContenders, ...peerContenders])
  await run({ ...contender.task(1), durationMs: 500 } as Task);

for (let round = 0; round < ROUNDS; round += 1) {
  for (const connections of CONCURRENCIES) {
    for (const group of [autocannonContenders, peerContenders]) {
      const order = round % 2 === 0 ? group : [...group].reverse();
      for (const contender of order) {
        const outcome = await run(contender.task(connections));
        if (outcome.errors > 0) throw new Error(`${contender.name}: ${outcome.errors} errors`);
        record(`${contender.name}@${connections}`, outcome);
      }
    }
  }
  console.error(`round ${round + 1}/${ROUNDS} done (load average ${loadavg()[0]?.toFixed(1)})`);
}

const rps = (name: string, c: number) =>
  (results.get(`${name}@${c}`) ?? []).map((o) => o.callsPerSecond);
const fmt = (value: number, digits = 0) =>
  value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
/** Per round, milliseconds a contender adds per call over direct, at concurrency 1. */
const added = (name: string) => {
  const base = rps("direct", 1);
  return median(
    rps(name, 1).map((value, round) => 1000 / value - 1000 / (base[round] ?? Number.NaN)),
  );
};

console.log(
  `\nNode ${process.version}, ${ROUNDS} rounds of ${RUN_MS} ms per contender and concurrency, load average ${loadavg()[0]?.toFixed(1)}\n`,
);
console.log("| contender | c=1 calls/s | c=1 added per call | c=16 calls/s | c=16 vs direct |");
console.log("|---|---|---|---|---|");
for (const { name } of autocannonContenders) {
  const extra = name === "direct" ? "—" : `${fmt(added(name), 2)} ms`;
  const ratio =
    name === "direct" ? "1.00×" : `${fmt(pairedRatio(rps(name, 16), rps("direct", 16)), 2)}×`;
  console.log(
    `| ${name} | ${fmt(median(rps(name, 1)))} | ${extra} | ${fmt(median(rps(name, 16)))} | ${ratio} |`,
  );
}

const hopAdded = added("hop");
const checks: Array<[string, boolean, string]> = [];
for (const mode of ["session", "stateless"]) {
  const name = `gateway ${mode}`;
  checks.push([
    `c=1, ${mode}: the gateway adds at most 1.5× what the bare hop adds`,
    added(name) <= 1.5 * Math.max(hopAdded, 0),
    hopAdded > 0
      ? `${fmt(added(name) / hopAdded, 2)}× the hop (${fmt(added(name), 2)} ms vs ${fmt(hopAdded, 2)} ms)`
      : `${fmt(added(name), 2)} ms vs ${fmt(hopAdded, 2)} ms (the hop within the noise)`,
  ]);
  const c16 = pairedRatio(rps(name, 16), rps("direct", 16));
  checks.push([`c=16, ${mode}: at least 0.85× direct throughput`, c16 >= 0.85, `${fmt(c16, 2)}×`]);
  if (withRedis) {
    for (const c of CONCURRENCIES) {
      const ratio = pairedRatio(rps(`gateway+redis ${mode}`, c), rps(name, c));
      checks.push([
        `c=${c}, ${mode}: with Redis within 10 % of without`,
        ratio >= 0.9,
        `${fmt(ratio, 2)}×`,
      ]);
    }
  }
}
console.log("\n| target | met | measured |\n|---|---|---|");
for (const [target, met, measured] of checks)
  console.log(`| ${target} | ${met ? "yes" : "**no**"} | ${measured} |`);

console.log("\n| SDK clients, calls/s | c=1 | c=16 |\n|---|---|---|");
for (const { name } of peerContenders)
  console.log(`| ${name} | ${fmt(median(rps(name, 1)))} | ${fmt(median(rps(name, 16)))} |`);
const [ours, theirs] = peerContenders.map((contender) => contender.name) as [string, string];
console.log(
  `| gateway / mcp-hub | ${fmt(pairedRatio(rps(ours, 1), rps(theirs, 1)), 2)}× | ${fmt(pairedRatio(rps(ours, 16), rps(theirs, 16)), 2)}× |`,
);

// One 8 MB result, three times each way: passed through without being decoded, in linear time.
const bigMs = async (url: string) => {
  const times = [];
  for (let index = 0; index < 3; index += 1)
    times.push((await run({ type: "big", url, bytes: 8_000_000 })).p50Ms);
  return median(times);
};
const bigDirect = await bigMs(urls.direct as string);
const bigGateway = await bigMs(urls.gateway as string);
console.log(
  `\nAn 8 MB result: ${fmt(bigDirect)} ms direct, ${fmt(bigGateway)} ms through the gateway (median of 3).`,
);

for (const child of children) child.kill("SIGTERM");
process.exit(0);
