import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const child = fileURLToPath(new URL("./fixtures/exit-child.ts", import.meta.url));

/** Runs the fixture entry point in its own Node process (through tsx) with exactly `env`. */
function runChild(env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const process_ = spawn(process.execPath, ["--import", "tsx", child], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    process_.stdout.on("data", (chunk) => {
      stdout += String(chunk);
    });
    process_.stderr.on("data", (chunk) => {
      stderr += String(chunk);
    });
    process_.on("error", reject);
    process_.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("loadConfigOrExit", () => {
  it("writes every problem to stderr and exits 1, secret values left out", async () => {
    const result = await runChild({ SERVER_PORT: "70000", API_TOKEN: "short" });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      [
        "Invalid configuration (3 problems):",
        '  - SERVER_PORT (server.port): Too big: expected number to be <=65535, got "70000"',
        "  - OAUTH_ISSUER (oauth.issuer): is required but not set (set OAUTH_ISSUER or OAUTH_ISSUER_FILE)",
        "  - API_TOKEN (apiToken): Too small: expected string to have >=12 characters",
        "",
      ].join("\n"),
    );
    expect(result.stderr).not.toContain("short");
  });

  it("returns the config when it is valid, and the process goes on", async () => {
    const result = await runChild({
      OAUTH_ISSUER: "https://auth.example.com",
      API_TOKEN: "token-long-enough",
    });
    expect(result).toEqual({ code: 0, stdout: "port 3000\n", stderr: "" });
  });
});
