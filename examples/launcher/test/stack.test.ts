// The README's main job, run as the README says: `pnpm start` (a build with a
// line per package, then src/launch.ts) on embedded defaults, `pnpm demo:client`
// through the gateway and straight to the servers, then Ctrl-C, which a
// terminal sends as SIGINT to every process of its foreground job.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..", "..");
const run = promisify(execFile);

/** A user's shell: no test-runner or outer pnpm settings, no real services. */
const plainEnv = (): Record<string, string | undefined> =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) =>
        !["DATABASE_URL", "REDIS_URL", "NODE_OPTIONS"].includes(key) &&
        !key.startsWith("VITEST") &&
        !/^(npm|pnpm)_/i.test(key),
    ),
  );

/** Whether any process of the group `pgid` is still there. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `pnpm start` with `env`, in a process group of its own as a terminal gives
 * the job it runs; resolves with its output once the stack is up.
 */
async function launch(env: Record<string, string | undefined>) {
  const launcher = spawn("pnpm", ["start"], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  launcher.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  launcher.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes("Try it: pnpm demo:client")) {
        clearInterval(timer);
        resolve();
      } else if (launcher.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`the stack exited:\n${output}`));
      }
    }, 100);
  });
  return { launcher, output: () => output };
}

/** Ctrl-C: SIGINT to every process of the job. Resolves with pnpm's exit code once every process has gone. */
async function interrupt(launcher: ChildProcess): Promise<number | null> {
  const pgid = launcher.pid as number;
  const exited =
    launcher.exitCode !== null
      ? Promise.resolve(launcher.exitCode)
      : new Promise<number | null>((resolve) => launcher.once("exit", (code) => resolve(code)));
  if (groupAlive(pgid)) process.kill(-pgid, "SIGINT");
  const code = await exited;
  await expect.poll(() => groupAlive(pgid), { timeout: 30_000 }).toBe(false);
  return code;
}

describe("the example stack on embedded defaults", () => {
  let launcher: ChildProcess | undefined;

  afterAll(async () => {
    if (launcher?.pid && groupAlive(launcher.pid)) await interrupt(launcher);
  });

  it("starts every server with nothing but Node, the demo client's calls all succeed, and Ctrl-C stops it with exit code 0", {
    timeout: 240_000,
  }, async () => {
    const env = plainEnv();
    const started = await launch(env);
    launcher = started.launcher;
    // The build shows its progress: a line per example package.
    for (const example of ["analytics", "user-management", "notification", "gateway"])
      expect(started.output()).toMatch(
        new RegExp(`@mcp-prod-examples/${example}:build: cache (hit|miss)`),
      );
    expect(started.output()).toContain("embedded PGlite");
    expect(started.output()).toContain("memory only");

    const viaGateway = await run("pnpm", ["demo:client"], { cwd: root, env });
    expect(viaGateway.stdout).toContain("gateway (http://127.0.0.1:3000/mcp): 8 tools");
    for (const tool of [
      "users.search_users",
      "users.get_user",
      "users.create_user",
      "analytics.get_report",
      "analytics.list_metrics",
      "notifications.send_notification",
      "notifications.get_notification",
      "notifications.list_notifications",
    ]) {
      expect(viaGateway.stdout).toMatch(new RegExp(`✓ ${tool.replace(".", "\\.")}\\(`));
    }
    expect(viaGateway.stdout).toContain("every call succeeded");

    // Both spellings a user types: pnpm passes `--` on to the script.
    for (const args of [
      ["demo:client", "--direct"],
      ["demo:client", "--", "--direct"],
    ]) {
      const direct = await run("pnpm", args, { cwd: root, env });
      expect(direct.stdout).toContain("user-management-mcp (http://127.0.0.1:3001/mcp)");
      expect(direct.stdout).toContain("analytics-mcp (http://127.0.0.1:3002/mcp)");
      expect(direct.stdout).toContain("notification-mcp (http://127.0.0.1:3003/mcp): 3 tools");
      expect(direct.stdout).toContain("every call succeeded");
    }

    expect(await interrupt(launcher)).toBe(0);
    expect(started.output()).not.toContain("ELIFECYCLE");
    expect(started.output()).not.toMatch(/exited \(.*\); stopping the stack/);
  });
});

describe("GATEWAY_REPLICAS=2 with REDIS_URL", () => {
  let launcher: ChildProcess | undefined;
  afterAll(async () => {
    if (launcher?.pid && groupAlive(launcher.pid)) await interrupt(launcher);
  });

  it("runs two gateway replicas sharing Redis behind a balancer, and the demo client's calls all succeed", {
    timeout: 180_000,
  }, async () => {
    const env = {
      ...plainEnv(),
      REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      GATEWAY_REPLICAS: "2",
      GATEWAY_REDIS_KEY_PREFIX: `launcher-${Date.now()}`,
    };
    const started = await launch(env);
    launcher = started.launcher;
    expect(started.output()).toContain("2 replicas on :3100, :3101 sharing REDIS_URL");
    const viaGateway = await run("pnpm", ["demo:client"], { cwd: root, env });
    expect(viaGateway.stdout).toContain("every call succeeded");
    expect(await interrupt(launcher)).toBe(0);
  });
});
