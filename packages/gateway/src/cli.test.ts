// The mcp-prod-gateway command as deployments run it: `node dist/cli.js` (built before the tests).
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { post, startBackend } from "./gateway.test-helpers.ts";
import { startFromEnv } from "./main.ts";

const cli = join(import.meta.dirname, "..", "dist", "cli.js");
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) {
    if (child.exitCode !== null) continue;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
});

/** Runs the command; resolves with its output once `until` appears in it or it exits. */
function run(environment: Record<string, string>, until: string) {
  const child = spawn(process.execPath, [cli], {
    env: { PATH: process.env.PATH ?? "", NODE_ENV: "test", LOG_LEVEL: "info", ...environment },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  return new Promise<{ output: string; code: number | null }>((resolve) => {
    const check = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(until)) resolve({ output, code: null });
    };
    child.stdout?.on("data", check);
    child.stderr?.on("data", check);
    child.once("exit", (code) => resolve({ output, code }));
  });
}

describe("mcp-prod-gateway", () => {
  it("refuses to serve without credentials on a non-loopback address, naming the way out", async () => {
    const { output, code } = await run(
      { SERVER_HOST: "0.0.0.0", SERVER_PORT: "0", GATEWAY_BACKENDS: "http://127.0.0.1:9/mcp" },
      "never printed",
    );
    expect(code).toBe(1);
    expect(output).toContain("GATEWAY_ALLOW_ANONYMOUS=true");
  });

  it("serves anonymously on loopback with a warning, and refuses a foreign Host", async () => {
    const backend = await startBackend("analytics");
    const { output } = await run(
      { SERVER_PORT: "0", GATEWAY_BACKENDS: backend.url, GATEWAY_REFRESH_INTERVAL_MS: "0" },
      "mcp-gateway ready",
    );
    expect(output).toContain("without authentication");
    const url = /"mcp":"(http:\/\/[^"]+)\/mcp"/.exec(output)?.[1] ?? "";
    expect(url).not.toBe("");
    const init = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "t", version: "0" },
      },
    };
    expect((await post(url, {}, init)).status).toBe(200);
    const port = new URL(url).port;
    const foreign = await post(
      url,
      { host: "evil.example.com", origin: "http://evil.example.com" },
      init,
    );
    expect(foreign.status).toBe(403);
    const localOrigin = await post(url, { origin: `http://localhost:${port}` }, init);
    expect(localOrigin.status).toBe(200);
    await backend.close();
  });
});

describe("the command's log", () => {
  it("shows backend URLs without their credentials, names the service once per line, and says replicas need Redis", async () => {
    const { output } = await run(
      {
        SERVER_HOST: "0.0.0.0",
        SERVER_PORT: "0",
        GATEWAY_API_KEYS: "log-test-key=ops:*",
        GATEWAY_BACKENDS: "users=http://app:hunter2@127.0.0.1:9/mcp?token=s3cr3t",
        GATEWAY_REFRESH_INTERVAL_MS: "0",
      },
      "mcp-gateway ready",
    );
    expect(output).toContain("users=http://app:***@127.0.0.1:9/mcp?token=***");
    expect(output).not.toMatch(/hunter2|s3cr3t/);
    expect(output).toContain("no REDIS_URL");
    const lines = output.split("\n").filter((line) => line.startsWith("{"));
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.match(/"service":/g) ?? [], line).toHaveLength(1);
  });
});

describe("startFromEnv options", () => {
  it("refuses an unknown option naming the closest, and a cleanup hook that is not a function, before starting", async () => {
    await expect(startFromEnv({}, { cleanUp: [] } as never)).rejects.toThrow(
      "Unknown option `cleanUp` in startFromEnv(); did you mean `cleanup`?",
    );
    await expect(startFromEnv({}, { cleanup: ["flush"] } as never)).rejects.toThrow(
      /`cleanup\[0\]`/,
    );
    await expect(startFromEnv({}, { cleanup: "flush" } as never)).rejects.toThrow(
      "Expected `cleanup` to be an array",
    );
  });
});
