// The benchmark's load generator, a process of its own (forked with IPC by index.bench.ts), so
// that neither the servers nor the orchestrator share its CPU. Each message is one task:
//   autocannon  `tools/call echo` posted by autocannon, on a session (initialized first) or without
//   sdk         SDK clients calling `echo` in a loop (Streamable HTTP, or SSE for mcp-hub)
//   big         one call whose result is `bytes` long, timed

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import autocannon from "autocannon";

export type Task =
  | { type: "autocannon"; url: string; connections: number; durationMs: number; session: boolean }
  | {
      type: "sdk";
      url: string;
      transport: "http" | "sse";
      tool: string;
      connections: number;
      durationMs: number;
    }
  | { type: "big"; url: string; bytes: number };

export type Outcome = { callsPerSecond: number; p50Ms: number; errors: number; ms?: number };

const HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2025-06-18",
};
const callEcho = (id: number, text: string, name = "echo") =>
  JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name, arguments: { text } },
  });

async function openSession(url: string): Promise<string> {
  const response = await fetch(url, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "bench", version: "0" },
      },
    }),
  });
  await response.text();
  const id = response.headers.get("mcp-session-id");
  if (!id) throw new Error(`${url} gave no session`);
  return id;
}

async function runAutocannon(task: Extract<Task, { type: "autocannon" }>): Promise<Outcome> {
  const headers: Record<string, string> = { ...HEADERS };
  if (task.session) headers["mcp-session-id"] = await openSession(task.url);
  // One checked call first: the load below only counts answers, so they must be the right ones.
  const check = await fetch(task.url, { method: "POST", headers, body: callEcho(1, "checked") });
  const text = await check.text();
  if (!text.includes('"checked"')) throw new Error(`${task.url} answered ${text.slice(0, 300)}`);
  const result = await autocannon({
    url: task.url,
    method: "POST",
    headers,
    body: callEcho(2, "load"),
    connections: task.connections,
    duration: task.durationMs / 1000,
  });
  return {
    callsPerSecond: result.requests.total / (task.durationMs / 1000),
    p50Ms: result.latency.p50,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

async function runSdk(task: Extract<Task, { type: "sdk" }>): Promise<Outcome> {
  const clients = await Promise.all(
    Array.from({ length: task.connections }, async () => {
      const client = new Client({ name: "bench", version: "0" });
      await client.connect(
        task.transport === "sse"
          ? new SSEClientTransport(new URL(task.url))
          : new StreamableHTTPClientTransport(new URL(task.url)),
      );
      return client;
    }),
  );
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + task.durationMs;
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < deadline) {
        const before = performance.now();
        const result = (await client.callTool({
          name: task.tool,
          arguments: { text: "load" },
        })) as {
          isError?: boolean;
        };
        if (result.isError) errors += 1;
        latencies.push(performance.now() - before);
      }
    }),
  );
  await Promise.all(clients.map((client) => client.close()));
  latencies.sort((a, b) => a - b);
  return {
    callsPerSecond: latencies.length / (task.durationMs / 1000),
    p50Ms: latencies[Math.floor(latencies.length / 2)] ?? Number.NaN,
    errors,
  };
}

async function runBig(task: Extract<Task, { type: "big" }>): Promise<Outcome> {
  const startedAt = performance.now();
  const response = await fetch(task.url, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "big", arguments: { bytes: task.bytes } },
    }),
  });
  const text = await response.text();
  const ms = performance.now() - startedAt;
  return { callsPerSecond: 0, p50Ms: ms, errors: text.length >= task.bytes ? 0 : 1, ms };
}

process.on("message", (message: { id: number; task: Task }) => {
  const { id, task } = message;
  const run =
    task.type === "autocannon"
      ? runAutocannon(task)
      : task.type === "sdk"
        ? runSdk(task)
        : runBig(task);
  run.then(
    (outcome) => process.send?.({ id, outcome }),
    (error: unknown) => process.send?.({ id, error: String(error) }),
  );
});
