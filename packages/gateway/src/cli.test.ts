// The mcp-prod-gateway command as users run it: its bin, in a process of its own (dist built
// before the tests).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { gatewayConfigShape } from "./config.ts";
import { post, startBackend } from "./gateway.test-helpers.ts";
import { startFromEnv } from "./main.ts";

const root = join(import.meta.dirname, "..");
const bin = join(root, "bin", "mcp-prod-gateway.js");

/** Runs the command; resolves with its output once `until` appears in it or it exits. */
function run(environment: Record<string, string>, until: string, args: readonly string[] = []) {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? "", NODE_ENV: "test", LOG_LEVEL: "info", ...environment },
    stdio: ["ignore", "pipe", "pipe"],
  });
  onTestFinished(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  });
  let output = "";
  let stdout = "";
  return new Promise<{ output: string; stdout: string; code: number | null }>((resolve) => {
    const check = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(until)) resolve({ output, stdout, code: null });
    };
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      check(chunk);
    });
    child.stderr?.on("data", check);
    child.once("close", (code) => resolve({ output, stdout, code }));
  });
}

/** Every variable the command reads, from its shape. */
function declaredNames(shape: object): string[] {
  return Object.values(shape).flatMap((node) =>
    typeof node.name === "string" && "schema" in node ? [node.name] : declaredNames(node),
  );
}

describe("mcp-prod-gateway's arguments", () => {
  it.each(["--help", "-h"])(
    "%s prints every variable with its default and exits 0 without starting, GATEWAY_BACKENDS set or not",
    async (flag) => {
      const backend = await startBackend("analytics");
      onTestFinished(() => backend.close());
      const { stdout, output, code } = await run(
        { SERVER_PORT: "0", GATEWAY_BACKENDS: backend.url },
        "never printed",
        [flag],
      );
      expect(code).toBe(0);
      expect(output).not.toContain("mcp-gateway ready");
      expect(stdout).toContain("Usage: mcp-prod-gateway");
      for (const name of declaredNames(gatewayConfigShape)) expect(stdout).toContain(name);
      expect(stdout).toMatch(/^ {2}GATEWAY_BACKENDS +required +/m);
      expect(stdout).toMatch(/^ {2}SERVER_PORT +3000 +/m);
      expect(stdout).toMatch(/^ {2}RATE_LIMIT_POINTS +60 +/m);
      expect(stdout).toMatch(/^ {2}GATEWAY_BACKEND_TIMEOUT_MS +60000 +/m);
      expect(backend.record.requests).toEqual([]);
    },
  );

  it.each(["--version", "-v"])("%s prints the package's version and exits 0", async (flag) => {
    const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const { stdout, code } = await run({}, "never printed", [flag]);
    expect(code).toBe(0);
    expect(stdout).toBe(`${version}\n`);
  });

  it.each([
    [["--port", "3000"], 'unknown argument "--port"'],
    [["start"], 'unknown argument "start"'],
    [["--help", "extra"], '--help takes no other argument, got "extra"'],
  ])("refuses %j with exit code 2 and says why", async (args, message) => {
    const backend = await startBackend("analytics");
    onTestFinished(() => backend.close());
    const { output, stdout, code } = await run(
      { SERVER_PORT: "0", GATEWAY_BACKENDS: backend.url },
      "never printed",
      args,
    );
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(output).toContain(`mcp-prod-gateway: ${message}`);
    expect(backend.record.requests).toEqual([]);
  });
});

describe("mcp-prod-gateway's variables", () => {
  it("refuses GATEWAY_API_KEY (for GATEWAY_API_KEYS) instead of starting without authentication", async () => {
    const backend = await startBackend("analytics");
    onTestFinished(() => backend.close());
    const { output, code } = await run(
      { SERVER_PORT: "0", GATEWAY_BACKENDS: backend.url, GATEWAY_API_KEY: "k3y-v4lue=ops:*" },
      "mcp-gateway ready",
    );
    expect(code).toBe(1);
    expect(output).toContain(
      "GATEWAY_API_KEY: is set (in the environment) but the config declares no such variable",
    );
    expect(output).toContain("did you mean GATEWAY_API_KEYS?");
    expect(output).not.toContain("k3y-v4lue");
    expect(backend.record.requests).toEqual([]);
  });

  it("refuses unknown OAUTH_* and RATE_LIMIT_* variables too, each with the closest name", async () => {
    const { output, code } = await run(
      {
        SERVER_PORT: "0",
        GATEWAY_BACKENDS: "http://127.0.0.1:9/mcp",
        GATEWAY_API_KEYS: "key=ops:*",
        OAUTH_ISUER: "https://issuer.example.com",
        RATE_LIMIT_POINT: "5",
      },
      "mcp-gateway ready",
    );
    expect(code).toBe(1);
    expect(output).toContain("OAUTH_ISUER: is set");
    expect(output).toContain("did you mean OAUTH_ISSUER?");
    expect(output).toContain("RATE_LIMIT_POINT: is set");
    expect(output).toContain("did you mean RATE_LIMIT_POINTS?");
  });

  it("leaves other variables alone, and startFromEnv() accepts unknown ones unless strict", async () => {
    const backend = await startBackend("analytics");
    onTestFinished(() => backend.close());
    const { output } = await run(
      {
        SERVER_PORT: "0",
        GATEWAY_BACKENDS: backend.url,
        GATEWAY_REFRESH_INTERVAL_MS: "0",
        MY_APP_SETTING: "1",
      },
      "mcp-gateway ready",
    );
    expect(output).toContain("mcp-gateway ready");
    const gateway = await startFromEnv({
      SERVER_PORT: "0",
      LOG_LEVEL: "silent",
      GATEWAY_BACKENDS: backend.url,
      GATEWAY_REFRESH_INTERVAL_MS: "0",
      GATEWAY_REPLICAS: "2",
    });
    onTestFinished(() => gateway.close());
    expect(gateway.backends).toHaveLength(1);
  });
});

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
    onTestFinished(() => backend.close());
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
    await expect(startFromEnv({}, { strict: "yes" } as never)).rejects.toThrow(
      'Expected `strict` to be a boolean, got "yes"',
    );
  });
});
