import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { root } from "./compose.ts";
import { servers } from "./servers.ts";

/** Starts a built server with exactly `env` (and PATH); resolves on its start-up line or its exit. */
function start(name: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [join(root, "examples", name, "dist", "main.js")], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let started = false;
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (started || !line.includes('"event":"server_started"')) return;
    started = true;
    child.kill("SIGTERM");
  });
  return new Promise<{ started: boolean; code: number | null; stderr: string }>((resolve) => {
    child.once("exit", (code) => resolve({ started, code, stderr }));
  });
}

describe("production refuses the defaults meant for trying things out", () => {
  for (const server of servers) {
    it(`${server.name}: under NODE_ENV=production without ${server.productionRequires.join(", ")}, exits 1 naming it`, async () => {
      const result = await start(server.name, { NODE_ENV: "production", SERVER_PORT: "0" });
      expect(result.started).toBe(false);
      expect(result.code).toBe(1);
      for (const variable of server.productionRequires)
        expect(result.stderr).toMatch(
          new RegExp(`^\\s+- ${variable} \\(.*\\): is required but not set`, "m"),
        );
    });

    // An embedded PostgreSQL (PGlite) starts first: seconds, and far more on a loaded machine.
    it(`${server.name}: outside production (pnpm start) it starts on its embedded defaults`, {
      timeout: 120_000,
    }, async () => {
      const result = await start(server.name, { SERVER_PORT: "0" });
      expect(result.stderr).toBe("");
      expect(result.started).toBe(true);
      expect(result.code).toBe(0);
    });
  }
});
