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

describe("the example stack on embedded defaults", () => {
  let launcher: ChildProcess | undefined;
  let output = "";

  afterAll(async () => {
    if (!launcher || launcher.exitCode !== null) return;
    const exited = new Promise((resolve) => launcher?.once("exit", resolve));
    launcher.kill("SIGTERM");
    await exited;
  });

  it("starts every server with nothing but Node, and the demo client's calls all succeed through the gateway", {
    timeout: 180_000,
  }, async () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([key]) =>
          !["DATABASE_URL", "REDIS_URL", "NODE_OPTIONS"].includes(key) && !key.startsWith("VITEST"),
      ),
    );
    launcher = spawn(process.execPath, [tsx, join(src, "launch.ts")], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
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
        } else if (launcher?.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`the stack exited:\n${output}`));
        }
      }, 100);
    });
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

    const exited = new Promise<number | null>((resolve) =>
      launcher?.once("exit", (code) => resolve(code)),
    );
    launcher.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
