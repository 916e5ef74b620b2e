import { type ChildProcess, spawn } from "node:child_process";
import { canConnect, freePort, waitFor } from "./net.ts";

export type PrivateRedis = {
  readonly port: number;
  readonly url: string;
  /** SIGSTOP: the server keeps its sockets but answers nothing (a hung Redis). */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** SIGKILL, no goodbye to the clients. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after `kill()`). */
  restart(): Promise<void>;
  /** Stops it for good; safe to call twice. */
  stop(): Promise<void>;
};

/** A throwaway `redis-server` on a free loopback port, for tests that break Redis. */
export async function startRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: "ignore" },
    );
    await waitFor(() => canConnect(port), { what: `redis-server on ${port}` });
  };

  const kill = async () => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((resolve) => current.once("exit", resolve));
    current.kill("SIGCONT");
    current.kill("SIGKILL");
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pause: () => child?.kill("SIGSTOP"),
    resume: () => child?.kill("SIGCONT"),
    kill,
    restart: async () => {
      await kill();
      await start();
    },
    stop: kill,
  };
}
