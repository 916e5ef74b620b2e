// Child processes of the conformance run: servers started with the Node under test and
// watched until ready, each in its own process group, all killed when the run ends.
import { spawn } from "node:child_process";
import { connect, createServer } from "node:net";
import { createInterface } from "node:readline";

/** Every child process started here, killed (with its process group) when this process ends. */
export const children = new Set();

export function stopAll() {
  for (const child of children) killGroup(child, "SIGKILL");
  children.clear();
}
process.once("exit", stopAll);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    stopAll();
    process.exit(130);
  });
}

export function killGroup(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // the child and anything it started
  } catch {
    child.kill(signal);
  }
}

export function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

export function canConnect(port) {
  return new Promise((done) => {
    const socket = connect({ port, host: "127.0.0.1" });
    const finish = (ok) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once("connect", () => finish(true));
    socket.once("error", () => finish(false));
  });
}

/** Ready once the port accepts connections and `/health/ready`, where there is one, is not 503. */
export async function isReady(port) {
  if (!(await canConnect(port))) return false;
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health/ready`, {
      signal: AbortSignal.timeout(2000),
    });
    await response.body?.cancel();
    return response.status !== 503;
  } catch {
    return false;
  }
}

/** The environment without the caller's service URLs and test settings, so a server starts on its defaults. */
export function defaultEnv(extra) {
  const env = { ...process.env };
  for (const key of ["DATABASE_URL", "REDIS_URL", "NODE_OPTIONS", "NODE_ENV", "CI", "SERVER_HOST"])
    delete env[key];
  for (const key of Object.keys(env)) if (key.startsWith("VITEST")) delete env[key];
  return { ...env, ...extra };
}

/**
 * Starts `args` with `node` (the Node under test) in `cwd` on `port` and resolves once it is
 * ready, or rejects with its last output lines when it exits or overruns `startTimeoutMs`.
 */
export async function startServer({ node, cwd, startTimeoutMs }, name, args, env, port) {
  const child = spawn(node, args, {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  children.add(child);
  const output = [];
  const keep = (line) => {
    output.push(line);
    if (output.length > 40) output.shift();
  };
  createInterface({ input: child.stdout }).on("line", keep);
  createInterface({ input: child.stderr }).on("line", keep);
  const exited = new Promise((done) => child.once("exit", (code, signal) => done(code ?? signal)));
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const code = await exited;
      children.delete(child);
      throw new Error(`${name} exited (${code}) before it was ready:\n${output.join("\n")}`);
    }
    if (await isReady(port)) break;
    if (Date.now() > deadline) {
      killGroup(child, "SIGKILL");
      children.delete(child);
      throw new Error(`${name} was not ready within ${startTimeoutMs} ms:\n${output.join("\n")}`);
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async stop() {
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
      children.delete(child);
    },
  };
}
