// The README's main job: `pnpm start` (a build, then src/launch.ts) on
// embedded defaults, and `pnpm demo:client` through the gateway.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..", "..");
const src = join(import.meta.dirname, "..", "src");
const tsx = join(root, "node_modules", "tsx", "dist", "cli.mjs");
const run = promisify(execFile);

/** Runs the launcher with `env`; resolves with its output once the stack is up. */
async function launch(env: Record<string, string | undefined>) {
  const launcher = spawn(process.execPath, [tsx, join(src, "launch.ts")], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
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

/** Stops the stack as Ctrl-C would; resolves with its exit code. */
async function stop(launcher: ChildProcess): Promise<number | null> {
  if (launcher.exitCode !== null) return launcher.exitCode;
  const exited = new Promise<number | null>((resolve) =>
    launcher.once("exit", (code) => resolve(code)),
  );
  launcher.kill("SIGTERM");
  return exited;
}

/** The environment without the services and test settings, as a user's shell would be. */
const plainEnv = () =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) =>
        !["DATABASE_URL", "REDIS_URL", "NODE_OPTIONS"].includes(key) && !key.startsWith("VITEST"),
    ),
  );

describe("the example stack on embedded defaults", () => {
  let launcher: ChildProcess | undefined;
  let output = "";

  afterAll(async () => {
    if (launcher) await stop(launcher);
  });

  it("starts every server with nothing but Node, and the demo client's calls all succeed through the gateway", {
    timeout: 180_000,
  }, async () => {
    const env = plainEnv();
    const started = await launch(env);
    launcher = started.launcher;
    output = started.output();
    expect(output).toContain("embedded PGlite");
    expect(output).toContain("memory only");

    const viaGateway = await run(process.execPath, [tsx, join(src, "demo-client.ts")], {
      cwd: root,
      env,
    });
    expect(viaGateway.stdout).toContain("gateway (http://127.0.0.1:3000/mcp): 5 tools");
    for (const tool of [
      "users.search_users",
      "users.get_user",
      "users.create_user",
      "analytics.get_report",
      "analytics.list_metrics",
    ]) {
      expect(viaGateway.stdout).toMatch(new RegExp(`✓ ${tool.replace(".", "\\.")}\\(`));
    }
    expect(viaGateway.stdout).toContain("every call succeeded");

    const direct = await run(process.execPath, [tsx, join(src, "demo-client.ts"), "--direct"], {
      cwd: root,
      env,
    });
    expect(direct.stdout).toContain("every call succeeded");

    expect(await stop(launcher)).toBe(0);
  });
});

describe("GATEWAY_REPLICAS=2 with REDIS_URL", () => {
  let launcher: ChildProcess | undefined;
  afterAll(async () => {
    if (launcher) await stop(launcher);
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
    const viaGateway = await run(process.execPath, [tsx, join(src, "demo-client.ts")], {
      cwd: root,
      env,
    });
    expect(viaGateway.stdout).toContain("every call succeeded");
    expect(await stop(launcher)).toBe(0);
  });
});
