import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { databaseUrl, redisUrl } from "@mcp-prod/testkit";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import type { WorkerStart } from "./fixtures/call-worker.ts";
import { testPool, testPrefix, testRedis, testTable } from "./idempotency.test-helpers.ts";
import { IDEMPOTENCY_META_KEY } from "./index.ts";

const WORKER = fileURLToPath(new URL("./fixtures/call-worker.ts", import.meta.url));

type Message = { type: string; result?: { content: unknown; _meta?: Record<string, unknown> } };

/** A worker process and every message it has sent, in order. */
function startWorker(start: WorkerStart) {
  const child: ChildProcess = fork(WORKER, [], { execArgv: ["--import", "tsx"], stdio: "inherit" });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  const messages: Message[] = [];
  child.on("message", (message: Message) => messages.push(message));
  child.send(start);
  const next = (type: string) =>
    vi.waitFor(
      () => {
        const found = messages.find((message) => message.type === type);
        if (found === undefined) throw new Error(`no "${type}" yet`);
        return found;
      },
      { timeout: 60_000, interval: 20 },
    );
  return { child, next };
}

/**
 * Two processes, one key: the first runs and holds its call open; the second,
 * asked once the first has started, waits; once the first is released, both
 * answer with the first's result.
 */
async function duplicateAcrossProcesses(
  start: WorkerStart,
  secondIsWaiting: (second: ReturnType<typeof startWorker>) => Promise<unknown>,
) {
  const first = startWorker(start);
  const second = startWorker(start);
  await Promise.all([first.next("ready"), second.next("ready")]);
  first.child.send({ type: "call", key: "order-7" });
  await first.next("started");
  second.child.send({ type: "call", key: "order-7" });
  await secondIsWaiting(second);
  first.child.send({ type: "release" });
  const [a, b] = await Promise.all([first.next("result"), second.next("result")]);
  expect(b.result?.content).toEqual(a.result?.content);
  expect(b.result?._meta?.[IDEMPOTENCY_META_KEY]).toMatchObject({ replayed: true });
  expect(a.result?._meta).toBeUndefined();
}

describe("a concurrent duplicate in another process", () => {
  it("waits and gets the first call's result, on Redis", async () => {
    const redis = testRedis();
    const prefix = testPrefix();
    onTestFinished(async () => {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    });
    await duplicateAcrossProcesses(
      { kind: "redis", url: redisUrl(), namespace: prefix },
      (second) => second.next("waiting"),
    );
    expect(await redis.get(`${prefix}effects`)).toBe("1");
  }, 90_000);

  it("waits and gets the first call's result, on PostgreSQL", async () => {
    const pool = testPool();
    const table = testTable(pool);
    await pool.query(`CREATE TABLE ${table}_effects (pid int)`);
    await duplicateAcrossProcesses(
      { kind: "postgres", url: databaseUrl(), namespace: table },
      (second) => second.next("waiting"),
    );
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table}_effects`);
    expect(rows[0]).toEqual({ n: 1 });
  }, 90_000);

  it("waits on the uncommitted record and gets the first call's result, on PostgreSQL in transactional mode", async () => {
    const pool = testPool();
    const table = testTable(pool);
    await pool.query(`CREATE TABLE ${table}_effects (pid int)`);
    await duplicateAcrossProcesses(
      { kind: "transactional", url: databaseUrl(), namespace: table },
      () =>
        vi.waitFor(
          async () => {
            const { rows } = await pool.query(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO \"' || $1 || '\"%'",
              [table],
            );
            expect(rows[0]?.n).toBeGreaterThan(0);
          },
          { timeout: 60_000, interval: 20 },
        ),
    );
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table}_effects`);
    expect(rows[0]).toEqual({ n: 1 });
  }, 90_000);
});
