// `pnpm start`: the example stack on one machine, on embedded defaults.
// Starts the demo upstream API, the stand-in notification provider,
// user-management-mcp, analytics-mcp, notification-mcp and the gateway in front of them, waits until each is ready and prints where they are.
// DATABASE_URL / REDIS_URL, when set, are passed on; unset, user-management runs
// an embedded PostgreSQL (PGlite) each, and the caches are memory-only.
// GATEWAY_REPLICAS=N (with REDIS_URL) runs N gateway replicas on :3100… sharing
// Redis, behind a small round-robin balancer on :3000.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { type Balancer, startBalancer } from "@mcp-prod/gateway";

const examples = join(import.meta.dirname, "..", "..");
const DEMO_API_KEY = "demo-key";

type Service = {
  name: string;
  script: string;
  port: number;
  env: Record<string, string>;
  health?: string;
};

const requested = Number(process.env.GATEWAY_REPLICAS ?? 1);
if (!Number.isInteger(requested) || requested < 1) {
  console.error(`GATEWAY_REPLICAS must be a positive integer, got ${process.env.GATEWAY_REPLICAS}`);
  process.exit(1);
}
if (requested > 1 && !process.env.REDIS_URL)
  console.error(
    "GATEWAY_REPLICAS needs REDIS_URL: replicas share their sessions in Redis. Starting one gateway.",
  );
const replicas = process.env.REDIS_URL ? requested : 1;
const { GATEWAY_REPLICAS: _replicas, ...ownEnvironment } = process.env;
const gatewayEnv = {
  GATEWAY_BACKENDS:
    "users=http://127.0.0.1:3001/mcp,analytics=http://127.0.0.1:3002/mcp,notifications=http://127.0.0.1:3003/mcp",
  GATEWAY_API_KEYS: process.env.GATEWAY_API_KEYS ?? `${DEMO_API_KEY}=demo-client:*`,
  // Replicas open each other's session ids with one key.
  ...(replicas > 1
    ? {
        GATEWAY_SESSION_KEY:
          process.env.GATEWAY_SESSION_KEY ?? randomBytes(32).toString("base64url"),
      }
    : {}),
};
const gatewayPorts =
  replicas > 1 ? Array.from({ length: replicas }, (_, index) => 3100 + index) : [3000];

const services: Service[] = [
  {
    name: "upstream API",
    script: join(examples, "analytics", "dist", "upstream.js"),
    port: 8080,
    env: { UPSTREAM_PORT: "8080", UPSTREAM_LATENCY_MS: "150", UPSTREAM_FAILURE_RATE: "0" },
    health: "/status",
  },
  {
    name: "notification provider",
    script: join(examples, "notification", "dist", "provider.js"),
    port: 8081,
    env: { PROVIDER_PORT: "8081", PROVIDER_LATENCY_MS: "100", PROVIDER_FAILURE_RATE: "0" },
    health: "/status",
  },
  {
    name: "user-management-mcp",
    script: join(examples, "user-management", "dist", "main.js"),
    port: 3001,
    env: { SERVER_PORT: "3001" },
  },
  {
    name: "analytics-mcp",
    script: join(examples, "analytics", "dist", "main.js"),
    port: 3002,
    env: { SERVER_PORT: "3002", API_BASE_URL: "http://127.0.0.1:8080" },
  },
  {
    name: "notification-mcp",
    script: join(examples, "notification", "dist", "main.js"),
    port: 3003,
    env: { SERVER_PORT: "3003", PROVIDER_URL: "http://127.0.0.1:8081" },
  },
  ...gatewayPorts.map((port, index) => ({
    name: replicas > 1 ? `gateway replica ${index + 1}` : "gateway",
    script: join(examples, "gateway", "dist", "main.js"),
    port,
    env: { SERVER_PORT: String(port), ...gatewayEnv },
  })),
];
let balancer: Balancer | undefined;

const children: ChildProcess[] = [];
let stopping = false;

function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  void balancer?.close();
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  let remaining = running.length;
  if (remaining === 0) process.exit(code);
  for (const child of running) {
    child.once("exit", () => {
      remaining -= 1;
      if (remaining === 0) process.exit(code);
    });
    child.kill("SIGTERM");
  }
}

async function waitReady(service: Service): Promise<void> {
  const url = `http://127.0.0.1:${service.port}${service.health ?? "/health/ready"}`;
  const deadline = Date.now() + 60_000;
  while (!stopping && Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (!stopping) throw new Error(`${service.name} did not become ready at ${url}`);
}

// Ctrl-C sends SIGINT to every process of the terminal's job: the servers stop
// themselves, and the launcher waits for them and exits 0. Listening from the
// start lets Ctrl-C during start-up end the same way; listening for good (not
// once) keeps a second SIGINT, which tsx may relay after the terminal's, from
// killing the launcher before its servers have gone.
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

for (const service of services) {
  if (stopping) break;
  const child = spawn(process.execPath, [service.script], {
    // GATEWAY_REPLICAS is the launcher's own: the gateway refuses GATEWAY_* variables it does not know.
    env: { NODE_ENV: "development", LOG_LEVEL: "warn", ...ownEnvironment, ...service.env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  children.push(child);
  child.once("exit", (code, signal) => {
    if (stopping) return;
    // A server that stopped cleanly was told to: by Ctrl-C, which may reach it
    // before the launcher hears of it, or by a kill. Stop the rest the same way.
    if (code === 0 || signal === "SIGINT" || signal === "SIGTERM") {
      console.error(`${service.name} stopped; stopping the stack`);
      stop(0);
      return;
    }
    console.error(`${service.name} exited (${signal ?? code}); stopping the stack`);
    stop(1);
  });
  await waitReady(service);
}
if (stopping) await new Promise(() => {}); // stop() exits once the servers have gone

if (replicas > 1)
  balancer = await startBalancer({
    targets: gatewayPorts.map((port) => `http://127.0.0.1:${port}`),
    port: 3000,
  });

console.log(`
mcp-prod example stack is up (Ctrl-C stops it)

  gateway              MCP  http://127.0.0.1:3000/mcp   (Authorization: Bearer ${DEMO_API_KEY})${
    replicas > 1
      ? `\n                       ${replicas} replicas on :${gatewayPorts.join(", :")} sharing REDIS_URL, behind a round-robin balancer`
      : ""
  }
  user-management-mcp  MCP  http://127.0.0.1:3001/mcp
  analytics-mcp        MCP  http://127.0.0.1:3002/mcp
  notification-mcp     MCP  http://127.0.0.1:3003/mcp
  upstream API              http://127.0.0.1:8080/status  (POST /knobs {"latencyMs":..,"failureRate":..})
  notification provider     http://127.0.0.1:8081/stats   (POST /knobs {"latencyMs":..,"failureRate":..})

  health   http://127.0.0.1:<port>/health  /health/live  /health/ready
  metrics  http://127.0.0.1:<port>/metrics

  database ${process.env.DATABASE_URL ? "DATABASE_URL" : "embedded PGlite (for trying things out, not for production)"}
  cache    ${process.env.REDIS_URL ? "REDIS_URL" : "memory only"}

Try it: pnpm demo:client
`);
