// The benchmark's servers, each started as a process of its own:
//   node bench/servers.mjs backend            a backend without sessions: an SDK McpServer per
//                                           request answering `echo` (and `big`, N bytes)
//   node bench/servers.mjs hop <target>       a bare node:http reverse proxy (kept-alive) in front
//                                           of <target>: what one loopback hop costs in Node
//   node bench/servers.mjs gateway <backend>  the built gateway (dist) in front of <backend>,
//                                           with Redis when REDIS_URL is set
// Each prints one JSON line {"url": …} once it listens, and exits on SIGTERM. Plain JavaScript
// run by plain Node, as in production: no loader between the servers and their requests.
import { Agent, createServer, request } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

const [kind, target] = process.argv.slice(2);
const listen = (server) =>
  new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`)),
  );

let stop = async () => {};
let url;

if (kind === "backend") {
  const server = createServer(async (req, res) => {
    const mcp = new McpServer({ name: "echo", version: "1.0.0" });
    mcp.registerTool("echo", { inputSchema: { text: z.string() } }, async ({ text }) => ({
      content: [{ type: "text", text }],
    }));
    mcp.registerTool("big", { inputSchema: { bytes: z.number() } }, async ({ bytes }) => ({
      content: [{ type: "text", text: "x".repeat(bytes) }],
    }));
    const transport = new StreamableHTTPServerTransport({});
    res.on("close", () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  url = `${await listen(server)}/mcp`;
  stop = () => new Promise((resolve) => server.close(resolve));
} else if (kind === "hop") {
  const to = new URL(target ?? "");
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const server = createServer((req, res) => {
    const outgoing = request(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    outgoing.on("error", () => res.destroy());
    req.pipe(outgoing);
  });
  url = `${await listen(server)}${to.pathname}`;
  stop = () => new Promise((resolve) => server.close(resolve));
} else if (kind === "gateway") {
  const { createGateway } = await import("../dist/index.js");
  let redis;
  if (process.env.REDIS_URL) {
    const { Redis } = await import("ioredis");
    redis = new Redis(process.env.REDIS_URL, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
    await new Promise((resolve) => redis?.once("ready", resolve));
  }
  // Far above what the benchmark reaches: it measures the allowed path.
  const huge = { points: 1_000_000_000, durationSeconds: 60 };
  const gateway = await createGateway({
    port: 0,
    backends: [{ url: target ?? "" }],
    toolRateLimit: huge,
    requestRateLimit: huge,
    refreshIntervalMs: 0,
    ...(redis
      ? {
          redis,
          rateLimitKeyPrefix: `bench-${process.pid}`,
          sessionKeys: ["bench-session-key-0123456789abcdefghij"],
        }
      : {}),
  });
  url = `${gateway.url}/mcp`;
  stop = async () => {
    await gateway.close();
    redis?.disconnect();
  };
} else {
  throw new Error(`unknown server kind ${kind}`);
}

console.log(JSON.stringify({ url }));
process.once("SIGTERM", () => {
  void stop().then(() => process.exit(0));
});
