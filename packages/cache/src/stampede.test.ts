import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { redisUrl } from "@mcp-prod/testkit";
import { Redis } from "ioredis";
import { describe, expect, it, onTestFinished } from "vitest";

const WORKER = fileURLToPath(new URL("./fixtures/stampede-worker.ts", import.meta.url));

type Report =
  | { type: "ready" }
  | { type: "missed" }
  | { type: "done"; factoryCalls: number; distinct: number[]; count: number }
  | { type: "failed"; error: string };

function nextMessage(child: ChildProcess): Promise<Report> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`worker exited early with ${code}`));
    child.once("exit", onExit);
    child.once("message", (message: Report) => {
      child.off("exit", onExit);
      resolve(message);
    });
  });
}

describe("multi-process stampede", () => {
  it("makes exactly 1 factory call for 4 processes × 250 concurrent getOrSet on one cold key", async () => {
    const prefix = `test:stampede:${randomUUID()}:`;
    const counterKey = `${prefix}origin-calls`;
    const workers = Array.from({ length: 4 }, () => {
      const child = fork(WORKER, [], { execArgv: ["--import", "tsx"], stdio: "inherit" });
      onTestFinished(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      });
      return child;
    });
    const ready = workers.map((child) => nextMessage(child));
    for (const child of workers) {
      child.send({ url: redisUrl(), prefix, key: "cold-report", concurrency: 250, counterKey });
    }
    expect((await Promise.all(ready)).map((message) => message.type)).toEqual(
      Array(4).fill("ready"),
    );

    const missed = workers.map((child) => nextMessage(child));
    for (const child of workers) child.send("go");
    expect((await Promise.all(missed)).map((message) => message.type)).toEqual(
      Array(4).fill("missed"),
    );
    const done = workers.map((child) => nextMessage(child));
    for (const child of workers) child.send("release");
    const reports = await Promise.all(done);

    const redis = new Redis(redisUrl());
    try {
      expect(await redis.get(counterKey)).toBe("1");
      expect(reports.every((report) => report.type === "done")).toBe(true);
      const finished = reports as Array<Extract<Report, { type: "done" }>>;
      expect(finished.reduce((sum, report) => sum + report.factoryCalls, 0)).toBe(1);
      expect(finished.reduce((sum, report) => sum + report.count, 0)).toBe(1000);
      // every process answered with the one computed value
      expect(new Set(finished.flatMap((report) => report.distinct)).size).toBe(1);
      await redis.del(counterKey, `${prefix}cold-report`);
    } finally {
      redis.disconnect();
    }
  }, 30_000);
});
