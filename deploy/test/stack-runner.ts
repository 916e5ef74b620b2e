// Runs a planned stack inside a network namespace of its own (see stack.ts):
// its loopback is the only network, so the servers bind 0.0.0.0 and the ports
// the deployment files name without meeting anything else on this machine, and
// /etc/hosts (bind-mounted in a private mount namespace) answers the service
// names with 127.0.0.1. Each process is started once the ones it depends on
// pass their healthchecks, as `docker compose up --wait` does. Then an SDK
// client lists the tools through the gateway. One JSON line on stdout reports it.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { StackPlan, StackReport } from "./stack.ts";

const plan = JSON.parse(process.argv[2] ?? "{}") as StackPlan;
const root = mkdtempSync(join(tmpdir(), "mcp-prod-stack-"));
// PostgreSQL runs as its own user and must reach its directory inside this one.
chmodSync(root, 0o755);
const children = new Map<string, { child: ChildProcess; output: string[] }>();
const report: StackReport = { started: [], tools: [], exits: {}, error: undefined, output: {} };
const asRoot = process.getuid?.() === 0;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Dies with this runner: a test that gives up on it leaves nothing running. */
function run(name: string, argv: string[], env: Record<string, string>, cwd = root, user?: string) {
  const credentials = user && asRoot ? [`--reuid=${user}`, `--regid=${user}`, "--init-groups"] : [];
  const child = spawn("setpriv", [...credentials, "--pdeathsig", "KILL", "--", ...argv], {
    cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  children.set(name, { child, output });
  return child;
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

/** Runs a healthcheck command with the container's environment; true when it exits 0. */
const passes = (argv: string[], env: Record<string, string>) =>
  new Promise<boolean>((resolve) => {
    const [command = "", ...args] = argv;
    const probe = spawn(command === "node" ? process.execPath : command, args, {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
      stdio: "ignore",
    });
    probe.once("exit", (code) => resolve(code === 0));
    probe.once("error", () => resolve(false));
  });

async function waitUntil(name: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  const entry = children.get(name);
  while (Date.now() < deadline) {
    if (entry && entry.child.exitCode !== null)
      throw new Error(`${name} exited with ${entry.child.exitCode} before it was healthy`);
    if (await check()) return;
    await sleep(200);
  }
  throw new Error(`${name} was not healthy within ${timeoutMs} ms`);
}

function postgresBin(): string {
  const base = "/usr/lib/postgresql";
  const version = readdirSync(base)
    .filter((entry) => existsSync(join(base, entry, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a))[0];
  if (!version) throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql");
  return join(base, version, "bin");
}

async function startService(service: StackPlan["services"][number]) {
  if (service.kind === "redis") {
    run(
      service.name,
      ["redis-server", "--port", String(service.port), "--save", "", "--appendonly", "no"],
      {},
    );
    await waitUntil(service.name, () => canConnect(service.port), 15_000);
  } else if (service.kind === "postgres") {
    const bin = postgresBin();
    const dir = join(root, service.name);
    execFileSync("mkdir", ["-p", dir]);
    if (asRoot) {
      const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }));
      const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }));
      chownSync(dir, uid, gid);
    }
    const passwordFile = join(dir, "password");
    writeFileSync(passwordFile, service.password);
    if (asRoot) execFileSync("chown", ["postgres", passwordFile]);
    const user = asRoot ? ["runuser", "-u", "postgres", "--"] : [];
    execFileSync(
      user[0] ?? join(bin, "initdb"),
      [
        ...user.slice(1),
        ...(user.length ? [join(bin, "initdb")] : []),
        "-D",
        join(dir, "data"),
        "-U",
        service.user,
        `--pwfile=${passwordFile}`,
        "--auth=scram-sha-256",
        "--no-sync",
        "-E",
        "UTF8",
      ],
      { stdio: "pipe" },
    );
    run(
      service.name,
      [
        join(bin, "postgres"),
        "-D",
        join(dir, "data"),
        "-p",
        String(service.port),
        "-k",
        dir,
        "-c",
        "listen_addresses=*",
        "-c",
        "fsync=off",
      ],
      {},
      dir,
      "postgres",
    );
    await waitUntil(service.name, () => canConnect(service.port), 30_000);
    // What the image does on its first start: POSTGRES_DB, then /docker-entrypoint-initdb.d.
    const client = {
      env: { ...process.env, PGPASSWORD: service.password },
      stdio: "pipe",
    } as const;
    const connection = ["-h", "127.0.0.1", "-p", String(service.port), "-U", service.user];
    execFileSync(join(bin, "createdb"), [...connection, service.database], client);
    for (const script of service.initScripts)
      execFileSync(
        join(bin, "psql"),
        [...connection, "-d", service.database, "-v", "ON_ERROR_STOP=1", "-f", script],
        client,
      );
  } else {
    run(
      service.name,
      service.argv[0] === "node" ? [process.execPath, ...service.argv.slice(1)] : service.argv,
      service.env,
      service.cwd,
    );
    const healthcheck = service.healthcheck;
    await waitUntil(
      service.name,
      healthcheck ? () => passes(healthcheck, service.env) : async () => true,
      service.startPeriodMs,
    );
  }
  report.started.push(service.name);
}

/** Lists the tools through the gateway and makes `check.retry` twice with one idempotency key. */
async function checkThroughGateway() {
  const client = new Client({ name: "deploy-test", version: "0.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(plan.check.url), {
      requestInit: { headers: plan.check.headers },
    }),
  );
  try {
    const { tools } = await client.listTools();
    report.tools = tools.map((tool) => tool.name).sort();
    const retry = plan.check.retry;
    if (!retry) return;
    const request = { ...retry, _meta: { "mcp-prod/idempotency-key": randomUUID() } };
    const text = (result: Awaited<ReturnType<Client["callTool"]>>) =>
      JSON.stringify({ isError: result.isError ?? false, content: result.content });
    const first = await client.callTool(request);
    const second = await client.callTool(request);
    const mark = second._meta?.["mcp-prod/idempotency"] as { replayed?: boolean } | undefined;
    report.retried = {
      first: text(first),
      second: text(second),
      replayed: mark?.replayed === true,
    };
  } finally {
    await client.close();
  }
}

async function stopAll() {
  // In reverse order, SIGTERM first: a server that does not exit 0 on it is reported.
  for (const [name, { child }] of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) {
      report.exits[name] = child.exitCode ?? child.signalCode;
      continue;
    }
    const exited = new Promise<number | string | null>((resolve) =>
      child.once("exit", (code, signal) => resolve(code ?? signal)),
    );
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    report.exits[name] = await exited;
    clearTimeout(timer);
  }
}

async function main() {
  execFileSync("ip", ["link", "set", "lo", "up"]);
  const hosts = join(root, "hosts");
  writeFileSync(hosts, `127.0.0.1 localhost ${plan.hosts.join(" ")}\n::1 localhost\n`);
  execFileSync("mount", ["--bind", hosts, "/etc/hosts"]);
  try {
    for (const service of plan.services) await startService(service);
    await checkThroughGateway();
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
  } finally {
    await stopAll();
    for (const [name, { output }] of children) report.output[name] = output.join("").slice(-4000);
    rmSync(root, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
