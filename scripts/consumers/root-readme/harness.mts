// The root README's compose example, pasted as a user pastes it into the
// stateless Streamable HTTP server examples/README recommends: a new McpServer
// for every request, no sessions, no authentication. scripts/test-consumers.mjs
// fills in the three marked places with the README block's imports, its
// once-per-process lines and its registerTool call, then runs this file in a
// project made by `npm init -y` with the README's install line.
//
// It checks what the README says the example does: the cache answers a repeated
// call, the bulkhead lets at most 10 calls reach the upstream at once, the
// breaker opens after 5 failures (the upstream sees no more calls), the rate
// limit refuses the 61st call of the minute, and /metrics has the breaker.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
// biome-ignore lint/correctness/noUnusedImports: the pasted README block uses it
import { z } from "zod";

/* README: imports */

// The upstream the README's handler calls: it counts calls and how many run at once.
const upstream = {
  calls: 0,
  running: 0,
  mostAtOnce: 0,
  down: false,
  hold: undefined as Promise<void> | undefined,
};
// biome-ignore lint/correctness/noUnusedVariables: the pasted README block calls it
async function liveForecast(city: string, signal: AbortSignal): Promise<string> {
  upstream.calls += 1;
  upstream.running += 1;
  upstream.mostAtOnce = Math.max(upstream.mostAtOnce, upstream.running);
  try {
    if (upstream.hold) await upstream.hold;
    signal.throwIfAborted();
    if (upstream.down) throw new Error("upstream answered 503");
    return `Sunny in ${city}`;
  } finally {
    upstream.running -= 1;
  }
}

/* README: once per process */

function buildServer(): McpServer {
  const server = new McpServer({ name: "weather", version: "1.0.0" });
  /* README: per request */
  return server;
}

const http = createServer(async (request, response) => {
  const server = buildServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  response.on("close", () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(request, response);
});
await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
const url = new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);

const client = new Client({ name: "harness", version: "1.0.0" });
await client.connect(new StreamableHTTPClientTransport(url));
type Result = {
  content: Array<{ text?: string }>;
  isError?: boolean;
  _meta?: Record<string, { [key: string]: unknown }>;
};
let calls = 0;
const call = async (city: string) => {
  calls += 1;
  return (await client.callTool({ name: "forecast", arguments: { city } })) as Result;
};
const text = (result: Result) => result.content[0]?.text;
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};

// The cache: a second call for a city is answered without the upstream.
const first = await call("Oslo");
const second = await call("Oslo");
check(
  text(first) === "Sunny in Oslo" && text(second) === "Sunny in Oslo" && upstream.calls === 1,
  `the cache answers a repeated call (upstream calls: ${upstream.calls}, expected 1)`,
);
check(second._meta?.["mcp-prod/cache"]?.hit === true, "the repeated call is marked a cache hit");

// The bulkhead: 12 calls at once, while the upstream is slow; at most 10 reach it.
let release = () => {};
upstream.hold = new Promise<void>((resolve) => {
  release = resolve;
});
let answered = 0;
const crowd = Array.from({ length: 12 }, (_, index) =>
  call(`crowd-${index}`).finally(() => {
    answered += 1;
  }),
);
// Until 10 run and 2 have been answered (or more than 10 run: no shared bulkhead), at most 10 s.
for (let waited = 0; waited < 10_000; waited += 20) {
  if ((upstream.running === 10 && answered === 2) || upstream.running > 10) break;
  await new Promise((resolve) => setTimeout(resolve, 20));
}
release();
upstream.hold = undefined;
const crowded = await Promise.all(crowd);
check(
  upstream.mostAtOnce === 10,
  `the bulkhead lets 10 calls at once reach the upstream (most at once: ${upstream.mostAtOnce})`,
);
check(
  crowded.filter((result) => text(result) === "Forecast temporarily unavailable").length === 2,
  `the two calls over the limit get the fallback's answer (${crowded.map(text).join(" | ")})`,
);

// The breaker: the upstream fails; after 5 failures in a row it sees no more calls.
upstream.down = true;
const before = upstream.calls;
const whileDown: Result[] = [];
for (let index = 0; index < 8; index++) whileDown.push(await call(`down-${index}`));
check(
  upstream.calls - before === 5,
  `the breaker opens after 5 failures: the upstream saw ${upstream.calls - before} of 8 calls, expected 5`,
);
check(
  whileDown.every((result) => text(result) === "Forecast temporarily unavailable"),
  "every call while the upstream is down gets the fallback's answer",
);

// The rate limit: 60 calls a minute per client; the 61st is refused.
let limited: Result | undefined;
let limitedAt = 0;
while (calls < 65 && limited === undefined) {
  const result = await call(`more-${calls}`);
  if (result._meta?.["mcp-prod/ratelimit"]?.limited === true) {
    limited = result;
    limitedAt = calls;
  }
}
check(
  limitedAt === 61,
  `the rate limit refuses the 61st call of the minute (refused call: ${limitedAt || "none"})`,
);
check(
  /Rate limit exceeded/.test(text(limited ?? { content: [] }) ?? ""),
  `the refusal says so: ${limited ? text(limited) : "no refusal"}`,
);

// /metrics: the breaker compose made, by the tool's name.
const exposition = await telemetry.metrics();
check(
  exposition.includes('mcp_breaker_state{breaker="forecast",state="open"} 1'),
  "/metrics shows the forecast breaker open",
);
check(
  /mcp_tool_calls_total\{tool="forecast",status="limited"\} [1-9]/.test(exposition),
  "/metrics counts the refused call as limited",
);

await client.close();
http.closeAllConnections();
http.close();
console.log(
  failures.length === 0
    ? "the README's compose example works per request"
    : `${failures.length} failed`,
);
process.exit(failures.length === 0 ? 0 : 1);
