/**
 * Queries per second through raw `pg.Pool` and through `createPool`, for
 * `SELECT 1` and a small parameterised query at concurrency 1, 10 and 50, on
 * the documented pool size (max 20). One task iteration fires `concurrency`
 * queries at once and awaits them all, so queries/s = concurrency / median
 * batch time. Contenders are interleaved: each round runs every task briefly
 * (in alternating order), and the table reports the median over rounds. The ×
 * column is the median of each round's own ratio (ours / pg.Pool in the same
 * round), so a change in the machine's load between rounds cancels out.
 *
 * Throughput on a shared machine swings with its load, so the table also
 * reports this process's CPU time per query (process.cpuUsage over each task's
 * measured iterations): the overhead a wrapper adds shows there first.
 *
 * "ours + leak + validate" turns on leak detection (a stack captured per
 * checkout) and validate-on-borrow past 30 s idle, to show neither costs the
 * hot path much.
 *
 * Fair by construction: ours is the built dist/index.js users import (tsx
 * compiles src/ with esbuild's keepNames, which wraps every closure created per
 * query in a `__name` call and made ours look 1–2 µs/query slower than it is),
 * and raw pg.Pool gets the connection settings ours sends by default
 * (`keepAlive`, `statement_timeout`), so the server does the same work per
 * statement on both sides and the ratio is the pool's own overhead.
 *
 * Run: pnpm --filter @mcp-prod/pool bench   (builds first; DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test)
 */
import { median, pairedRatio } from "@mcp-prod/testkit/bench";
import pg from "pg";
import { Bench } from "tinybench";
import type * as Built from "../src/index.ts";

// Typed from src, so typechecking needs no build.
const { createPool }: typeof Built = await import(
  new URL("../dist/index.js", import.meta.url).href
);

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 11);
const TASK_TIME_MS = 150;
const CONCURRENCIES = [1, 10, 50] as const;
const connectionString = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

// createPool's defaults, spelled out for pg: max 20, idle 30 s, connect 2 s,
// TCP keep-alive, a 30 s server-side statement timeout.
const raw = new pg.Pool({
  connectionString,
  max: 20,
  idleTimeoutMillis: 30_000,
  connectionTimeoutMillis: 2000,
  keepAlive: true,
  statement_timeout: 30_000,
});
const ours = createPool({ connectionString, name: "bench" });
const oursTraced = createPool({
  connectionString,
  name: "bench-traced",
  leakDetectionMs: 60_000,
  validateAfterIdleMs: 30_000,
});

type Run = (text: string, values?: unknown[]) => Promise<unknown>;
const contenders: Record<string, Run> = {
  "pg.Pool": (text, values) => raw.query(text, values),
  ours: (text, values) => ours.query(text, values),
  "ours + leak + validate": (text, values) => oursTraced.query(text, values),
};
const queries: Record<string, [string, unknown[] | undefined]> = {
  "SELECT 1": ["SELECT 1", undefined],
  parameterised: ["SELECT $1::int + 1 AS n, $2::text AS name", [41, "ada"]],
};

function batch(run: Run, text: string, values: unknown[] | undefined, concurrency: number) {
  return () => {
    const pending: Promise<unknown>[] = [];
    for (let index = 0; index < concurrency; index++) pending.push(run(text, values));
    return Promise.all(pending);
  };
}

async function main(): Promise<void> {
  // Open every connection first so no contender pays for connecting.
  for (const run of Object.values(contenders)) {
    await Promise.all(Array.from({ length: 20 }, () => run("SELECT pg_sleep(0.05)")));
  }
  const samples = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  const record = (map: Map<string, number[]>, key: string, value: number) => {
    const list = map.get(key) ?? [];
    list.push(value);
    map.set(key, list);
  };
  const acquire = new Map<number, { p50: number[]; p99: number[] }>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const concurrency of CONCURRENCIES) {
      const bench = new Bench({ time: TASK_TIME_MS, warmupTime: 50 });
      const names = Object.keys(contenders);
      if (round % 2 === 1) names.reverse();
      for (const [queryName, [text, values]] of Object.entries(queries)) {
        for (const name of names) {
          const run = contenders[name] as Run;
          const key = `${queryName}|${concurrency}|${name}`;
          const fn = batch(run, text, values, concurrency);
          let batches = 0;
          let cpuStart = process.cpuUsage();
          bench.add(
            key,
            () => {
              batches += 1;
              return fn();
            },
            {
              beforeAll: (mode) => {
                if (mode !== "run") return;
                batches = 0;
                cpuStart = process.cpuUsage();
              },
              afterAll: (mode) => {
                if (mode !== "run" || batches === 0) return;
                const used = process.cpuUsage(cpuStart);
                record(cpu, key, (used.user + used.system) / (batches * concurrency));
              },
            },
          );
        }
      }
      await bench.run();
      for (const task of bench.tasks) {
        if (task.result?.error) throw task.result.error;
        const p50 = task.result?.latency.p50;
        if (p50 === undefined) continue;
        record(samples, task.name, (concurrency * 1000) / p50);
      }
      const stats = ours.stats();
      const entry = acquire.get(concurrency) ?? { p50: [], p99: [] };
      entry.p50.push(stats.acquireP50Ms);
      entry.p99.push(stats.acquireP99Ms);
      acquire.set(concurrency, entry);
    }
  }

  const rows: Record<string, string>[] = [];
  for (const queryName of Object.keys(queries)) {
    for (const concurrency of CONCURRENCIES) {
      const of = (map: Map<string, number[]>, name: string) =>
        median(map.get(`${queryName}|${concurrency}|${name}`) ?? []);
      const row: Record<string, string> = { query: queryName, conc: String(concurrency) };
      for (const name of Object.keys(contenders)) {
        row[`${name} q/s`] = of(samples, name).toFixed(0);
        if (name !== "pg.Pool") {
          const key = (contender: string) => `${queryName}|${concurrency}|${contender}`;
          row[`${name} ×`] = pairedRatio(
            samples.get(key(name)) ?? [],
            samples.get(key("pg.Pool")) ?? [],
          ).toFixed(2);
        }
      }
      for (const name of Object.keys(contenders)) {
        row[`${name} cpu µs/q`] = of(cpu, name).toFixed(1);
      }
      rows.push(row);
    }
  }
  console.log(
    `\n@mcp-prod/pool vs pg.Pool, queries/s (median of ${ROUNDS} interleaved rounds; × is the median of per-round ratios)`,
  );
  console.table(rows);
  console.log(
    "\nacquire latency through ours (last 1024 acquisitions after each round, median over rounds)",
  );
  console.table(
    [...acquire].map(([concurrency, { p50, p99 }]) => ({
      concurrency,
      "acquire p50 ms": median(p50).toFixed(3),
      "acquire p99 ms": median(p99).toFixed(3),
    })),
  );
}

try {
  await main();
} finally {
  await Promise.all([raw.end(), ours.close(), oursTraced.close()]);
}
