import { execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canConnect, freePort, waitFor } from "./net.ts";

export type PrivatePostgres = {
  readonly port: number;
  /** A connection string for the `postgres` database as the `postgres` user. */
  readonly url: string;
  /** Stops the server (fast shutdown: clients are disconnected). */
  stopServer(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  startServer(): Promise<void>;
  /** Stops it and deletes its data directory; safe to call twice. */
  stop(): Promise<void>;
};

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions
    .map((version) => join(root, version, "bin"))
    .find((dir) => existsSync(join(dir, "initdb")));
  if (!found)
    throw new Error("No PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql");
  return found;
}

/** Runs a PostgreSQL binary as the `postgres` user when we are root (PostgreSQL refuses root). */
function run(command: string, args: string[]): void {
  if (process.getuid?.() === 0) {
    execFileSync("runuser", ["-u", "postgres", "--", command, ...args], { stdio: "ignore" });
  } else {
    execFileSync(command, args, { stdio: "ignore" });
  }
}

/**
 * A throwaway PostgreSQL (`initdb` + `pg_ctl`) on a free loopback port with
 * trust auth, for tests that stop and start the database under a pool.
 */
export async function startPostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "mcp-prod-pg-"));
  const data = join(dir, "data");
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    chownSync(dir, uid, gid);
  }
  run(join(bin, "initdb"), [
    "-D",
    data,
    "-U",
    "postgres",
    "--auth=trust",
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  let running = false;

  const startServer = async () => {
    run(join(bin, "pg_ctl"), ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "start"]);
    running = true;
    await waitFor(() => canConnect(port), { what: `postgres on ${port}` });
  };
  const stopServer = async () => {
    if (!running) return;
    running = false;
    await new Promise<void>((resolve) => {
      const args = ["-D", data, "-m", "immediate", "-w", "stop"];
      const child =
        process.getuid?.() === 0
          ? spawn("runuser", ["-u", "postgres", "--", join(bin, "pg_ctl"), ...args], {
              stdio: "ignore",
            })
          : spawn(join(bin, "pg_ctl"), args, { stdio: "ignore" });
      child.once("exit", () => resolve());
      child.once("error", () => resolve());
    });
  };

  await startServer();
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stopServer,
    startServer,
    stop: async () => {
      await stopServer();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
