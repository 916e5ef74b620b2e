// Helpers for the examples' end-to-end tests: run a built example server as a
// child process on a free port and talk to it with the SDK client.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

export type RunningExample = {
  readonly url: string;
  readonly child: ChildProcess;
  /** Every log line the server printed, parsed. */
  readonly logs: Record<string, unknown>[];
  /** Resolves with the exit code once the process ended. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

const examplesDir = join(import.meta.dirname, "..", "..");

/** Starts `examples/<name>/dist/<entry>.js` on a free port and waits for its `server_started` line. */
export async function startExample(
  name: string,
  env: Record<string, string | undefined>,
  { entry = "main", timeoutMs = 30_000 } = {},
): Promise<RunningExample> {
  const script = join(examplesDir, name, "dist", `${entry}.js`);
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) =>
        ![
          "DATABASE_URL",
          "REDIS_URL",
          "NODE_OPTIONS",
          "VITEST",
          "VITEST_WORKER_ID",
          "VITEST_POOL_ID",
        ].includes(key),
    ),
  );
  const child = spawn(process.execPath, [script], {
    env: {
      ...clean,
      NODE_ENV: "test",
      LOG_LEVEL: "info",
      SERVER_PORT: "0",
      SHUTDOWN_DRAIN_MS: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within ${timeoutMs} ms\n${stderr}`)),
      timeoutMs,
    );
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        record = { msg: line };
      }
      logs.push(record);
      if (record.event === "server_started") {
        clearTimeout(timer);
        resolve(String(record.mcp).replace(/\/mcp$/, ""));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it started\n${stderr}`));
    });
  });
  return {
    url,
    child,
    logs,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 25_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** An SDK client connected over Streamable HTTP. */
export async function connectClient(
  url: string,
  headers: Record<string, string> = {},
): Promise<Client> {
  const client = new Client({ name: "e2e", version: "0.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }),
  );
  return client;
}

/** Calls a tool and returns its result with the text parts joined. */
export async function call(
  client: Client,
  name: string,
  args?: Record<string, unknown>,
  options: { signal?: AbortSignal } = {},
): Promise<CallToolResult & { text: string }> {
  const result = (await client.callTool(
    { name, ...(args ? { arguments: args } : {}) },
    undefined,
    options,
  )) as CallToolResult;
  const text = result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
  return { ...result, text };
}

/** GET a path, with status and parsed JSON (or text). */
export async function get(url: string): Promise<{ status: number; body: unknown; text: string }> {
  const response = await fetch(url);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Prometheus text, not JSON
  }
  return { status: response.status, body, text };
}
