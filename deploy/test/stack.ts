// A deployment path run for real on this machine: the processes a compose file
// (or a set of Kubernetes manifests) would start, with the environment each
// would get, in a network namespace of their own (stack-runner.ts).
import { execFile, execFileSync } from "node:child_process";
import { join } from "node:path";

export type StackService =
  | { kind: "redis"; name: string; port: number }
  | {
      kind: "postgres";
      name: string;
      port: number;
      user: string;
      password: string;
      database: string;
      /** The `*.sql` files the image runs on its first start (/docker-entrypoint-initdb.d), in order. */
      initScripts: string[];
    }
  | {
      kind: "node";
      name: string;
      /** Where `node dist/…` runs: the example's directory, as /app in the image. */
      cwd: string;
      argv: string[];
      env: Record<string, string>;
      /** The healthcheck's command (CMD form), run with `env`; absent: started is enough. */
      healthcheck?: string[];
      startPeriodMs: number;
    };

export type StackPlan = {
  /** The names that resolve to the namespace's loopback. */
  hosts: string[];
  /** In start order: each is healthy before the next starts. */
  services: StackService[];
  /**
   * The MCP endpoint a client lists the tools of, and the headers it sends;
   * `retry` is a tool call it makes twice with one idempotency key, as a
   * client retries a call whose answer it did not get.
   */
  check: {
    url: string;
    headers: Record<string, string>;
    retry?: { name: string; arguments: Record<string, unknown> };
  };
};

export type StackReport = {
  started: string[];
  tools: string[];
  /** The answers to `check.retry`, and whether the second was marked replayed. */
  retried?: { first: string; second: string; replayed: boolean };
  /** Each process's exit code (or signal) once stopped with SIGTERM. */
  exits: Record<string, number | string | null>;
  error: string | undefined;
  /** The last lines each process printed. */
  output: Record<string, string>;
};

const root = join(import.meta.dirname, "..", "..");

/** Whether this machine lets us make network and mount namespaces (root, as in CI). */
export function canIsolate(): boolean {
  try {
    execFileSync("unshare", ["--net", "--mount", "--", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Runs the plan in fresh network and mount namespaces and returns what the runner reports. */
export function runStack(plan: StackPlan, timeoutMs = 180_000): Promise<StackReport> {
  return new Promise((resolve, reject) => {
    execFile(
      "unshare",
      [
        "--net",
        "--mount",
        "--fork",
        "--kill-child",
        "--",
        process.execPath,
        "--import",
        "tsx",
        join(import.meta.dirname, "stack-runner.ts"),
        JSON.stringify(plan),
      ],
      { cwd: root, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const line = stdout.trim().split("\n").pop() ?? "";
        try {
          resolve(JSON.parse(line) as StackReport);
        } catch {
          reject(
            new Error(`the stack runner reported nothing (${error?.message ?? ""})\n${stderr}`),
          );
        }
      },
    );
  });
}
