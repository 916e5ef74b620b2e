// `pnpm bench`: autocannon against /health/ready backed by three real checks
// (PostgreSQL SELECT 1, Redis PING, an HTTP check against a loopback server),
// @mcp-prod/health vs @godaddy/terminus on the same checks, rounds interleaved.
import { createServer, type Server } from "node:http";
import { createTerminus } from "@godaddy/terminus";
import { databaseUrl, redisUrl } from "@mcp-prod/testkit";
import autocannon from "autocannon";
import Redis from "ioredis";
import pg from "pg";
import { type CheckFunction, createHealth, httpCheck, pgCheck, redisCheck } from "../src/index.ts";

const roundSeconds = 5;
const rounds = 2;
const connections = 50;
const cacheMs = 1000;

type Counts = { database: number; cache: number; upstream: number };

function counted(counts: Counts, name: keyof Counts, check: CheckFunction): CheckFunction {
  return (context) => {
    counts[name] += 1;
    return check(context);
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

const upstream = createServer((_request, response) => response.end("ok"));
const upstreamUrl = await listen(upstream);
const pool = new pg.Pool({ connectionString: databaseUrl(), max: 10 });
const redis = new Redis(redisUrl());

function checks(counts: Counts) {
  return {
    database: counted(counts, "database", pgCheck(pool)),
    cache: counted(counts, "cache", redisCheck(redis)),
    upstream: counted(counts, "upstream", httpCheck(`${upstreamUrl}/status`)),
  };
}

// @mcp-prod/health
const oursCounts: Counts = { database: 0, cache: 0, upstream: 0 };
const health = createHealth({ checks: checks(oursCounts), cacheMs, timeoutMs: 800 });
health.markReady();
const oursServer = createServer(health.nodeHandler());
const oursUrl = await listen(oursServer);

// @godaddy/terminus: the same checks, run on every probe (it has no cache).
const terminusCounts: Counts = { database: 0, cache: 0, upstream: 0 };
const terminusChecks = checks(terminusCounts);
const terminusServer = createTerminus(
  createServer((_request, response) => {
    response.statusCode = 404;
    response.end();
  }),
  {
    signals: [],
    healthChecks: {
      "/health/ready": async () => {
        const signal = new AbortController().signal;
        await Promise.all(Object.values(terminusChecks).map((check) => check({ signal })));
      },
    },
  },
);
const terminusUrl = await listen(terminusServer);

type Row = { reqPerSec: number[]; p99: number[]; non2xx: number; seconds: number };
const results: Record<"@mcp-prod/health" | "@godaddy/terminus", Row> = {
  "@mcp-prod/health": { reqPerSec: [], p99: [], non2xx: 0, seconds: 0 },
  "@godaddy/terminus": { reqPerSec: [], p99: [], non2xx: 0, seconds: 0 },
};

async function round(name: keyof typeof results, url: string) {
  const result = await autocannon({
    url: `${url}/health/ready`,
    connections,
    duration: roundSeconds,
    workers: 1,
  });
  const row = results[name];
  row.reqPerSec.push(result.requests.average);
  row.p99.push(result.latency.p99);
  row.non2xx += result.non2xx + result.errors + result.timeouts;
  row.seconds += roundSeconds;
}

for (let index = 0; index < rounds; index += 1) {
  await round("@mcp-prod/health", oursUrl);
  await round("@godaddy/terminus", terminusUrl);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

const ours = results["@mcp-prod/health"];
const theirs = results["@godaddy/terminus"];
const oursRps = median(ours.reqPerSec);
const theirsRps = median(theirs.reqPerSec);
const runs = (counts: Counts) => `${counts.database}/${counts.cache}/${counts.upstream}`;
// Each round may start one run when it begins and one per cacheMs after.
const budget = Math.floor((ours.seconds * 1000) / cacheMs) + rounds;

console.log(
  `\n/health/ready, 3 real checks, ${connections} connections, ${rounds} interleaved rounds x ${roundSeconds} s each (Node ${process.version})\n`,
);
console.table([
  {
    contender: "@mcp-prod/health",
    "req/s (median)": Math.round(oursRps),
    "p99 ms (median)": median(ours.p99),
    "non-2xx/errors": ours.non2xx,
    "check runs db/redis/http": runs(oursCounts),
    "runs allowed (s/cacheMs + 1 per round)": budget,
  },
  {
    contender: "@godaddy/terminus",
    "req/s (median)": Math.round(theirsRps),
    "p99 ms (median)": median(theirs.p99),
    "non-2xx/errors": theirs.non2xx,
    "check runs db/redis/http": runs(terminusCounts),
    "runs allowed (s/cacheMs + 1 per round)": "no cache",
  },
]);
console.log(
  `ratio req/s health ÷ terminus: ${(oursRps / theirsRps).toFixed(2)}x; p99 terminus ÷ health: ${(median(theirs.p99) / Math.max(median(ours.p99), 1)).toFixed(2)}x; PostgreSQL queries terminus ÷ health: ${(terminusCounts.database / Math.max(oursCounts.database, 1)).toFixed(0)}x`,
);
console.log(oursCounts.database <= budget ? "check-run target met" : "check-run target MISSED");

health.close();
await Promise.all([close(oursServer), close(terminusServer), close(upstream)]);
await pool.end();
redis.disconnect();
