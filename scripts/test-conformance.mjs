// The official MCP conformance suite (`@modelcontextprotocol/conformance`, server scenarios)
// against our servers, on loopback:
//   direct           every scenario (`--suite all`) against testkit's everything fixture;
//   gateway          the same scenarios through the gateway, the fixture its one unprefixed
//                    backend: each scenario that passes directly must pass here too, and
//                    server-initialize, ping, tools-list, dns-rebinding-protection must pass;
//   replicas         the same scenarios through three gateway replicas sharing one Redis
//                    (REDIS_URL, else the local one, under a key prefix of the run's own),
//                    behind a balancer that sends every request to the next replica: each
//                    scenario that passes directly must pass here too;
//   user-management  server-initialize, ping, tools-list, dns-rebinding-protection against the
//   analytics        example servers started with their default configuration.
//   notification
// Every scenario has a timeout (`--timeout-ms`): a scenario that overruns it fails alone, its
// suite process is killed and the scenarios after it run one by one; servers have a start
// timeout. Every child runs in its own process group and is killed on exit. Prints a
// per-scenario table and `N passed, N failed`, saves the totals to .reports/runs/conformance.json
// for `scripts/test-summary.mjs --total`, and exits 1 on any failure.
//
// Usage: node scripts/test-conformance.mjs [--node /path/to/node22]
//          [--gateway packages/gateway/dist/cli.js] [--gateway-prefix name] [--gateway-api-key key]
//          [--only direct,gateway,replicas,user-management,analytics,notification] [--timeout-ms 60000]
// --gateway is the gateway's entry script, run with the same Node; --gateway-prefix registers
// the fixture as `name=url` instead of unprefixed; --gateway-api-key starts the gateway with
// GATEWAY_API_KEYS=key=conformance:* and puts a loopback proxy in front that adds the bearer
// token (the suite sends none), for gateways that cannot run unauthenticated.
// The suite needs Node 22 or later: without --node, the Node running this script.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer as createHttpServer, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  children,
  defaultEnv,
  freePort,
  killGroup,
  startServer,
} from "./conformance/processes.mjs";

const root = new URL("..", import.meta.url).pathname;
const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: {
    node: { type: "string", default: process.execPath },
    gateway: {
      type: "string",
      default: "packages/gateway/dist/cli.js",
    },
    "gateway-prefix": { type: "string" },
    "gateway-api-key": { type: "string" },
    only: { type: "string" },
    "timeout-ms": { type: "string", default: "60000" },
    "start-timeout-ms": { type: "string", default: "90000" },
  },
});
const node = flags.node;
const scenarioTimeoutMs = Number(flags["timeout-ms"]);
const startTimeoutMs = Number(flags["start-timeout-ms"]);
const TARGETS = ["direct", "gateway", "replicas", "user-management", "analytics", "notification"];
const targets = new Set(flags.only ? flags.only.split(",") : TARGETS);
for (const [flag, value] of [
  ["--timeout-ms", flags["timeout-ms"]],
  ["--start-timeout-ms", flags["start-timeout-ms"]],
]) {
  if (!(Number(value) > 0))
    throw new TypeError(`Expected \`${flag}\` to be a positive number, got ${value}`);
}
for (const target of targets) {
  if (!TARGETS.includes(target))
    throw new TypeError(`Unknown target \`${target}\` in --only; known: ${TARGETS.join(", ")}`);
}
const conformanceCli = join(
  root,
  "node_modules",
  "@modelcontextprotocol",
  "conformance",
  "dist",
  "index.js",
);
const BASIC = ["server-initialize", "ping", "tools-list", "dns-rebinding-protection"];

/** Every row of the table: one scenario run against one target. */
const rows = [];
const workDir = mkdtempSync(join(tmpdir(), "mcp-prod-conformance-"));
process.once("exit", () => rmSync(workDir, { recursive: true, force: true }));
const serverSettings = { node, cwd: root, startTimeoutMs };

/**
 * Runs the suite against `url`: `--suite all` in one process when `scenarios` is the whole
 * suite, else one `--scenario` process each. A watchdog kills a process whose current scenario
 * runs past the timeout; that scenario fails as timed out and the ones after it run one by one.
 * Resolves with one row per scenario.
 */
async function runScenarios(target, url, scenarios, whole) {
  const results = new Map();
  let pending = [...scenarios];
  let batch = 0;
  while (pending.length > 0) {
    const single = !whole || batch > 0;
    const args = single ? ["--scenario", pending[0]] : ["--suite", "all"];
    const outputDir = join(workDir, target, String(batch++));
    mkdirSync(outputDir, { recursive: true });
    const { current, timedOut, log } = await runSuite(url, args, outputDir);
    for (const [scenario, checks] of readResults(outputDir)) results.set(scenario, { checks });
    if (timedOut && !current) {
      // The suite itself did not load in time: another try would not either.
      const why = { log: `the suite did not start within ${startTimeoutMs} ms` };
      for (const scenario of pending) if (!results.has(scenario)) results.set(scenario, why);
      break;
    }
    if (timedOut) results.set(current, { timedOut: true });
    if (single && !results.has(pending[0])) results.set(pending[0], { log });
    pending = pending.filter((scenario) => !results.has(scenario));
    if (!single && !timedOut) {
      // The suite ended without a result for these: record why instead of running them again.
      for (const scenario of pending) results.set(scenario, { log });
      pending = [];
    }
  }
  return scenarios.map((scenario) => toRow(target, scenario, results.get(scenario)));
}

function toRow(target, scenario, result) {
  if (result.timedOut) {
    return {
      target,
      scenario,
      passed: false,
      warnings: 0,
      reason: `timed out after ${scenarioTimeoutMs} ms`,
    };
  }
  if (!result.checks) {
    const tail = result.log.trim().split("\n").slice(-3).join(" ");
    return { target, scenario, passed: false, warnings: 0, reason: `no result: ${tail}` };
  }
  const failures = result.checks.filter((check) => check.status === "FAILURE");
  const warnings = result.checks.filter((check) => check.status === "WARNING").length;
  const reason = failures
    .map((check) => `${check.id}: ${check.errorMessage ?? "failed"}`)
    .join("; ");
  return {
    target,
    scenario,
    passed: result.checks.length > 0 && failures.length === 0,
    warnings,
    reason,
  };
}

/** One suite process, watched: resolves once it exits or was killed for overrunning a scenario. */
function runSuite(url, args, outputDir) {
  return new Promise((done) => {
    const child = spawn(node, [conformanceCli, "server", "--url", url, ...args, "-o", outputDir], {
      cwd: root,
      env: defaultEnv({ NO_COLOR: "1" }),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    children.add(child);
    let log = "";
    // Until the suite announces a scenario, the process is loading: that gets the start timeout.
    let current;
    let timedOut = false;
    let timer;
    const arm = (ms) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        killGroup(child, "SIGKILL");
      }, ms);
    };
    arm(startTimeoutMs);
    createInterface({ input: child.stdout }).on("line", (line) => {
      log = `${log}${line}\n`.slice(-4000);
      const started = /^Running client scenario '([^']+)'/.exec(line);
      if (started) {
        current = started[1];
        arm(scenarioTimeoutMs);
      }
    });
    child.stderr.on("data", (chunk) => {
      log = `${log}${chunk}`.slice(-4000);
    });
    child.once("exit", () => {
      clearTimeout(timer);
      children.delete(child);
      done({ current, timedOut, log });
    });
  });
}

/** The suite writes `<dir>/server-<scenario>-<timestamp>/checks.json` for each scenario it finished. */
function readResults(outputDir) {
  const results = new Map();
  for (const entry of readdirSync(outputDir)) {
    const match = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(entry);
    const file = join(outputDir, entry, "checks.json");
    if (match && existsSync(file)) results.set(match[1], JSON.parse(readFileSync(file, "utf8")));
  }
  return results;
}

async function runTarget(target, scenarios, start) {
  let server;
  try {
    server = await start();
  } catch (error) {
    for (const scenario of scenarios) {
      rows.push({
        target,
        scenario,
        passed: false,
        warnings: 0,
        notStarted: true,
        reason: `did not start: ${firstLine(error)}`,
      });
    }
    console.log(`${target}: did not start\n${String(error.message).replace(/^/gm, "    ")}`);
    return;
  }
  console.log(`${target}: ${server.url}`);
  try {
    const own = await runScenarios(target, server.url, scenarios, scenarios === all);
    rows.push(...own);
    const passed = own.filter((row) => row.passed).length;
    console.log(`  ${passed}/${own.length} scenarios pass`);
  } finally {
    await server.stop();
  }
}

const firstLine = (error) => String(error?.message ?? error).split("\n")[0];

function listScenarios() {
  const text = execFileSync(node, [conformanceCli, "list", "--server"], {
    cwd: root,
    encoding: "utf8",
  });
  return [...text.matchAll(/^\s*-\s+([\w/-]+)/gm)].map((match) => match[1]);
}

// ---------------------------------------------------------------------------------------------

if (!existsSync(node)) {
  console.error(
    `${node} not found. The conformance suite needs Node 22 or later: pass --node /path/to/node22.`,
  );
  process.exit(1);
}
const major = Number(
  execFileSync(node, ["-p", "process.versions.node.split('.')[0]"], { encoding: "utf8" }).trim(),
);
if (!(major >= 22)) {
  console.error(
    `The conformance suite needs Node 22 or later; ${node} is Node ${major}. Pass --node /path/to/node22.`,
  );
  process.exit(1);
}
if (!existsSync(conformanceCli)) {
  console.error(`${conformanceCli} is missing: run pnpm install.`);
  process.exit(1);
}
/** The suite's `all`: every server scenario, as `conformance list --server` names them. */
const all = listScenarios();
console.log(
  `MCP conformance ${JSON.parse(readFileSync(join(conformanceCli, "..", "..", "package.json"), "utf8")).version}, ${all.length} server scenarios, Node ${major}\n`,
);

/** A loopback proxy to `port` that adds `Authorization: Bearer <token>` to every request. */
async function startBearerProxy(port, token) {
  const proxy = createHttpServer((req, res) => {
    const upstream = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, authorization: `Bearer ${token}` },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.once("error", () => res.destroy());
    res.once("close", () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise((done) => proxy.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${proxy.address().port}/mcp`,
    stop: () =>
      new Promise((done) => {
        proxy.close(done);
        proxy.closeAllConnections();
      }),
  };
}

const startFixture = async (...flags) => {
  const port = await freePort();
  return startServer(
    serverSettings,
    "everything fixture",
    ["--import", "tsx", "packages/testkit/src/conformance/main.ts", ...flags],
    defaultEnv({ SERVER_PORT: String(port) }),
    port,
  );
};

if (targets.has("direct")) await runTarget("direct", all, () => startFixture());

if (targets.has("gateway")) {
  const script = resolve(root, flags.gateway);
  let fixture;
  await runTarget("gateway", all, async () => {
    if (!existsSync(script)) {
      throw new Error(
        `${script} not found: build the gateway first (pnpm turbo run build --filter=./packages/*), or pass --gateway`,
      );
    }
    // Behind the gateway the fixture accepts any Host: dns-rebinding-protection then passes only
    // when the gateway protects itself, not when it passes on the fixture's refusal.
    fixture = await startFixture("--any-host");
    const port = await freePort();
    const prefix = flags["gateway-prefix"];
    const apiKey = flags["gateway-api-key"];
    const gateway = await startServer(
      serverSettings,
      "gateway",
      [script],
      defaultEnv({
        GATEWAY_BACKENDS: prefix ? `${prefix}=${fixture.url}` : fixture.url,
        SERVER_PORT: String(port),
        ...(apiKey ? { GATEWAY_API_KEYS: `${apiKey}=conformance:*` } : {}),
      }),
      port,
    ).catch(async (error) => {
      await fixture.stop();
      throw error;
    });
    const proxy = apiKey ? await startBearerProxy(port, apiKey) : undefined;
    return {
      url: proxy?.url ?? gateway.url,
      stop: () => Promise.all([proxy?.stop(), gateway.stop(), fixture.stop()]),
    };
  });
}

if (targets.has("replicas")) {
  const script = resolve(root, flags.gateway);
  await runTarget("replicas", all, async () => {
    const entry = join(root, "packages", "gateway", "dist", "index.js");
    if (!existsSync(script) || !existsSync(entry)) {
      throw new Error(
        `${script} or ${entry} not found: build the gateway first (pnpm turbo run build --filter=./packages/*)`,
      );
    }
    const fixture = await startFixture("--any-host");
    // One Redis, one session key and a key prefix of this run's own for the three replicas.
    const shared = {
      GATEWAY_BACKENDS: fixture.url,
      REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      GATEWAY_REDIS_KEY_PREFIX: `conformance-${randomBytes(6).toString("hex")}`,
      GATEWAY_SESSION_KEY: randomBytes(32).toString("base64url"),
      // The suite is one anonymous client making many requests: its budget is not under test.
      RATE_LIMIT_REQUEST_POINTS: "1000000",
      RATE_LIMIT_POINTS: "1000000",
    };
    const replicas = [];
    try {
      for (let index = 0; index < 3; index += 1) {
        const port = await freePort();
        replicas.push(
          await startServer(
            serverSettings,
            `gateway replica ${index + 1}`,
            [script],
            defaultEnv({ ...shared, SERVER_PORT: String(port) }),
            port,
          ),
        );
      }
    } catch (error) {
      await Promise.all([...replicas.map((replica) => replica.stop()), fixture.stop()]);
      throw error;
    }
    const { startBalancer } = await import(pathToFileURL(entry).href);
    const balancer = await startBalancer({
      targets: replicas.map((replica) => new URL(replica.url).origin),
    });
    return {
      url: `${balancer.url}/mcp`,
      stop: async () => {
        await balancer.close();
        await Promise.all([...replicas.map((replica) => replica.stop()), fixture.stop()]);
      },
    };
  });
}

for (const name of ["user-management", "analytics", "notification"]) {
  if (!targets.has(name)) continue;
  const script = join(root, "examples", name, "dist", "main.js");
  await runTarget(name, BASIC, async () => {
    if (!existsSync(script))
      throw new Error(
        `${script} not found: build the examples first (pnpm turbo run build --filter=./examples/*)`,
      );
    const port = await freePort();
    const env = { SERVER_PORT: String(port) };
    // user-management's default without DATABASE_URL is an embedded database; CI gives it the real one.
    // notification-mcp keeps its embedded outbox: its dispatcher must not claim another run's rows.
    if (name === "user-management" && process.env.DATABASE_URL)
      env.DATABASE_URL = process.env.DATABASE_URL;
    let upstream;
    if (name === "analytics") {
      // Its demo upstream API on a free port, where a deployment would point API_BASE_URL.
      const upstreamPort = await freePort();
      upstream = await startServer(
        serverSettings,
        "analytics upstream",
        [join(root, "examples", name, "dist", "upstream.js")],
        defaultEnv({
          UPSTREAM_PORT: String(upstreamPort),
          UPSTREAM_FAILURE_RATE: "0",
          UPSTREAM_LATENCY_MS: "0",
        }),
        upstreamPort,
      );
      env.API_BASE_URL = `http://127.0.0.1:${upstreamPort}`;
    }
    const server = await startServer(serverSettings, name, [script], defaultEnv(env), port).catch(
      async (error) => {
        await upstream?.stop();
        throw error;
      },
    );
    return { url: server.url, stop: () => Promise.all([server.stop(), upstream?.stop()]) };
  });
}

// Through the gateway and its replicas, every scenario that passes directly must pass too.
if (targets.has("direct")) {
  const direct = new Set(
    rows.filter((row) => row.target === "direct" && row.passed).map((row) => row.scenario),
  );
  for (const row of rows) {
    if (
      (row.target === "gateway" || row.target === "replicas") &&
      !row.passed &&
      direct.has(row.scenario)
    )
      row.reason = `passes directly; ${row.reason}`;
  }
}

// The table: one line per scenario, one column per target.
const columns = [...new Set(rows.map((row) => row.target))];
const scenarios = [...new Set(rows.map((row) => row.scenario))];
const width = Math.max(...scenarios.map((scenario) => scenario.length), 8);
const cell = (target, scenario) => {
  const row = rows.find((r) => r.target === target && r.scenario === scenario);
  if (!row) return "";
  return row.passed ? (row.warnings > 0 ? `pass (${row.warnings}w)` : "pass") : "FAIL";
};
console.log(
  `\n${"scenario".padEnd(width)}  ${columns.map((column) => column.padEnd(16)).join("")}`,
);
for (const scenario of scenarios) {
  console.log(
    `${scenario.padEnd(width)}  ${columns.map((column) => cell(column, scenario).padEnd(16)).join("")}`,
  );
}
const failed = rows.filter((row) => !row.passed);
if (failed.length > 0) {
  console.log("\nfailures:");
  // A target that did not start fails every scenario for one reason: say it once.
  const seen = new Set();
  for (const row of failed) {
    if (row.notStarted) {
      if (seen.has(row.target)) continue;
      seen.add(row.target);
      const count = failed.filter((other) => other.target === row.target).length;
      console.log(`  ${row.target} (${count} scenarios): ${row.reason}`);
    } else console.log(`  ${row.target} ${row.scenario}: ${row.reason}`);
  }
}
console.log("");
for (const column of columns) {
  const own = rows.filter((row) => row.target === column);
  console.log(`${column}: ${own.filter((row) => row.passed).length}/${own.length} scenarios pass`);
}

const totals = { passed: rows.length - failed.length, failed: failed.length, skipped: 0 };
mkdirSync(join(root, ".reports", "runs"), { recursive: true });
writeFileSync(join(root, ".reports", "runs", "conformance.json"), JSON.stringify(totals));
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exitCode = totals.failed > 0 ? 1 : 0;
