import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { httpGet as request } from "@mcp-prod/testkit";
import { describe, expect, it, onTestFinished } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/shutdown-server.ts", import.meta.url));

type Service = {
  readonly url: string;
  readonly output: string[];
  /** Resolves when the child printed `line`. */
  printed(line: string): Promise<void>;
  readonly exitCode: Promise<number | null>;
  signal(name: NodeJS.Signals): void;
};

async function startService(env: Record<string, string>): Promise<Service> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const output: string[] = [];
  const waiters: Array<{ line: string; resolve: () => void }> = [];
  let buffered = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      output.push(line);
      for (const waiter of waiters.filter((item) => line.startsWith(item.line))) waiter.resolve();
    }
  });
  const exitCode = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const printed = (line: string) =>
    output.some((seen) => seen.startsWith(line))
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ line, resolve }));
  await printed("listening");
  const port = output.find((line) => line.startsWith("listening"))?.split(" ")[1];
  return {
    url: `http://127.0.0.1:${port}`,
    output,
    printed,
    exitCode,
    signal: (name) => child.kill(name),
  };
}

describe("process exit code", () => {
  it("exits 0 on SIGTERM after answering the in-flight request and running cleanup", async () => {
    const service = await startService({
      SLOW: "until-shutdown",
      DRAIN_MS: "100",
      TIMEOUT_MS: "10000",
    });
    expect((await request(`${service.url}/health/ready`)).status).toBe(200);
    const slow = request(`${service.url}/slow`);
    await service.printed("arrived");
    service.signal("SIGTERM");
    const answer = await slow;
    expect([answer.status, answer.text]).toEqual([200, "slow done"]);
    expect(await service.exitCode).toBe(0);
    expect(service.output.slice(-3)).toEqual(["arrived", "shutdown SIGTERM", "cleanup done"]);
  });

  it("exits 1 when an in-flight request outlives timeoutMs", async () => {
    const service = await startService({ SLOW: "never", DRAIN_MS: "0", TIMEOUT_MS: "300" });
    const slow = request(`${service.url}/slow`);
    await service.printed("arrived");
    service.signal("SIGINT");
    await expect(slow).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(await service.exitCode).toBe(1);
    expect(service.output).toContain("cleanup done");
  });

  it("exits 1 at once on a second signal during the drain", async () => {
    const service = await startService({ DRAIN_MS: "60000" });
    service.signal("SIGTERM");
    await service.printed("shutdown SIGTERM");
    expect((await request(`${service.url}/health/ready`)).status).toBe(503);
    expect((await request(`${service.url}/health/live`)).status).toBe(200);
    service.signal("SIGTERM");
    expect(await service.exitCode).toBe(1);
    expect(service.output).not.toContain("cleanup done");
  });
});
