import { Agent, type Server } from "node:http";
import type { Socket } from "node:net";
import { deferred, type Listening, listen, httpGet as request } from "@mcp-prod/testkit";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { createHealth, type Health } from "./health.ts";
import type { ShutdownPhase } from "./shutdown.ts";

afterEach(async () => {
  vi.useRealTimers();
});

/** An app with the probe routes and a /slow route held until the test releases it. */
async function app() {
  const health = createHealth();
  onTestFinished(() => health.close());
  const gate = deferred();
  const arrived = deferred();
  const handler = health.nodeHandler();
  const listening: Listening = await listen((incoming, response) => {
    if (incoming.url === "/slow") {
      arrived.resolve();
      void gate.promise.then(() => response.end("slow done"));
      return;
    }
    handler(incoming, response);
  });
  onTestFinished(() => listening.close());
  const phases: ShutdownPhase[] = [];
  health.on("shutdownPhase", ({ phase }) => phases.push(phase));
  health.markReady();
  return { health, gate, slowArrived: arrived.promise, phases, ...listening };
}

function phaseReached(health: Health, phase: ShutdownPhase): Promise<void> {
  return new Promise((resolve) => {
    const off = health.on("shutdownPhase", (info) => {
      if (info.phase === phase) {
        off();
        resolve();
      }
    });
  });
}

/** A shutdown with no drain, no signals and no process exit, started by calling it. */
function stopWithoutDrain(health: Health, server: Server, timeoutMs: number) {
  return health.gracefulShutdown({
    servers: [server],
    drainMs: 0,
    timeoutMs,
    signals: [],
    exit: false,
  });
}

// Only the shutdown's own timers are faked: sockets and setImmediate stay real.
const fakeTimeouts = () => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });

describe("gracefulShutdown", () => {
  it("turns readiness 503 at once, serves through the drain, lets in-flight requests finish, refuses new connections and exits 0", async () => {
    fakeTimeouts();
    const { health, gate, slowArrived, phases, server, url } = await app();
    const exits: number[] = [];
    const shutdown = health.gracefulShutdown({
      servers: [server],
      drainMs: 5000,
      timeoutMs: 10_000,
      signals: [],
      exit: (code) => exits.push(code),
    });
    expect((await request(`${url}/health/ready`)).status).toBe(200);
    const slow = request(`${url}/slow`);
    await slowArrived;

    const done = shutdown("deploy");
    expect(health.readiness).toBe("shuttingDown");
    expect(shutdown.phase).toBe("draining");
    const ready = await request(`${url}/health/ready`);
    expect([ready.status, ready.json.readiness]).toEqual([503, "shuttingDown"]);
    expect((await request(`${url}/health/live`)).status).toBe(200);
    expect((await request(`${url}/health/startup`)).status).toBe(200);

    const closing = phaseReached(health, "closing");
    vi.advanceTimersByTime(5000);
    await closing;
    await expect(request(`${url}/health/live`)).rejects.toThrow(/ECONNREFUSED/);
    expect(exits).toEqual([]);

    gate.resolve();
    const slowAnswer = await slow;
    expect([slowAnswer.status, slowAnswer.text]).toEqual([200, "slow done"]);
    expect(await done).toBe(0);
    expect(exits).toEqual([0]);
    expect(phases).toEqual(["draining", "closing", "cleanup", "done"]);
  });

  it("closes idle keep-alive connections instead of waiting for them", async () => {
    fakeTimeouts();
    const { health, server, url } = await app();
    const agent = new Agent({ keepAlive: true });
    onTestFinished(() => agent.destroy());
    expect((await request(`${url}/health/live`, agent)).status).toBe(200);
    const idle = Object.values(agent.freeSockets).flat()[0] as Socket | undefined;
    expect(idle).toBeDefined();
    const idleClosed = new Promise<void>((resolve) => idle?.once("close", () => resolve()));

    const shutdown = stopWithoutDrain(health, server, 60_000);
    // No timer is advanced: the shutdown can only finish if the idle socket is closed for it.
    expect(await shutdown()).toBe(0);
    await idleClosed;
    expect(server.listening).toBe(false);
  });

  it("asks keep-alive clients with requests in flight to close once answered", async () => {
    fakeTimeouts();
    const { health, gate, slowArrived, server, url } = await app();
    const agent = new Agent({ keepAlive: true });
    onTestFinished(() => agent.destroy());
    const shutdown = stopWithoutDrain(health, server, 60_000);
    const slow = request(`${url}/slow`, agent);
    await slowArrived;
    const closing = phaseReached(health, "closing");
    const done = shutdown();
    await closing;
    gate.resolve();
    const answer = await slow;
    expect(answer.headers.connection).toBe("close");
    expect(await done).toBe(0);
  });

  it("cuts requests that outlive timeoutMs and exits 1", async () => {
    fakeTimeouts();
    const { health, slowArrived, server, url } = await app();
    const shutdown = stopWithoutDrain(health, server, 1000);
    const slow = request(`${url}/slow`);
    await slowArrived;
    const closing = phaseReached(health, "closing");
    const done = shutdown();
    await closing;
    vi.advanceTimersByTime(1000);
    expect(await done).toBe(1);
    await expect(slow).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it("runs cleanup hooks in order, reports a throwing one, still runs the rest and exits 1", async () => {
    const health = createHealth();
    onTestFinished(() => health.close());
    const order: string[] = [];
    const errors: Array<{ index: number; message: string }> = [];
    health.on("cleanupError", ({ index, error }) =>
      errors.push({ index, message: (error as Error).message }),
    );
    const shutdown = health.gracefulShutdown({
      drainMs: 0,
      signals: [],
      exit: false,
      cleanup: [
        async () => {
          await new Promise((resolve) => setImmediate(resolve));
          order.push("pool");
        },
        () => {
          order.push("cache");
          throw new Error("cache close failed");
        },
        () => {
          order.push("telemetry");
        },
      ],
    });
    expect(await shutdown()).toBe(1);
    expect(order).toEqual(["pool", "cache", "telemetry"]);
    expect(errors).toEqual([{ index: 1, message: "cache close failed" }]);
  });

  it("exits 0 when a cleanup hook closes the health itself, as a server's own close() does", async () => {
    const health = createHealth();
    const errors: unknown[] = [];
    health.on("cleanupError", ({ error }) => errors.push(error));
    const shutdown = health.gracefulShutdown({
      drainMs: 0,
      signals: [],
      exit: false,
      cleanup: [
        async () => {
          health.close();
          await new Promise((resolve) => setImmediate(resolve));
        },
      ],
    });
    expect(await shutdown()).toBe(0);
    expect(errors).toEqual([]);
  });

  it("exits 0 after clean cleanup, and aborts a hook and skips the rest once cleanupTimeoutMs is spent", async () => {
    fakeTimeouts();
    const health = createHealth();
    onTestFinished(() => health.close());
    const clean = health.gracefulShutdown({
      drainMs: 0,
      signals: [],
      exit: false,
      cleanup: [() => undefined],
    });
    expect(await clean()).toBe(0);

    const other = createHealth();
    onTestFinished(() => other.close());
    let hookSignal: AbortSignal | undefined;
    let skippedRan = false;
    const codes: string[] = [];
    other.on("cleanupError", ({ error }) => codes.push((error as { code: string }).code));
    const stuck = other.gracefulShutdown({
      drainMs: 0,
      signals: [],
      exit: false,
      cleanupTimeoutMs: 2000,
      cleanup: [
        ({ signal }) => {
          hookSignal = signal;
          return new Promise(() => {});
        },
        () => {
          skippedRan = true;
        },
      ],
    });
    const cleanup = phaseReached(other, "cleanup");
    const done = stuck();
    await cleanup;
    await new Promise((resolve) => setImmediate(resolve));
    vi.advanceTimersByTime(2000);
    expect(await done).toBe(1);
    expect(hookSignal?.aborted).toBe(true);
    expect(skippedRan).toBe(false);
    expect(codes).toEqual(["ESHUTDOWNTIMEOUT"]);
  });

  it("starts on its signal, and a second signal forces exit 1", async () => {
    fakeTimeouts();
    const health = createHealth();
    onTestFinished(() => health.close());
    const exits: Array<{ code: number; forced: boolean }> = [];
    health.on("exit", (info) => exits.push(info));
    const calls: number[] = [];
    const before = process.listenerCount("SIGUSR2");
    const shutdown = health.gracefulShutdown({
      drainMs: 5000,
      signals: ["SIGUSR2"],
      exit: (code) => calls.push(code),
    });
    expect(process.listenerCount("SIGUSR2")).toBe(before + 1);
    const reasons: string[] = [];
    health.on("shutdown", ({ reason }) => reasons.push(reason));

    process.emit("SIGUSR2", "SIGUSR2");
    expect(reasons).toEqual(["SIGUSR2"]);
    expect(shutdown.phase).toBe("draining");
    process.emit("SIGUSR2", "SIGUSR2");
    expect(calls).toEqual([1]);
    expect(exits).toEqual([{ code: 1, forced: true }]);
    expect(await shutdown()).toBe(1);
    expect(process.listenerCount("SIGUSR2")).toBe(before);
  });

  it("dispose() and health.close() remove the signal listeners without shutting down", () => {
    const health = createHealth();
    const before = process.listenerCount("SIGTERM");
    const shutdown = health.gracefulShutdown({ exit: false });
    health.gracefulShutdown({ exit: false });
    expect(process.listenerCount("SIGTERM")).toBe(before + 2);
    shutdown.dispose();
    expect(process.listenerCount("SIGTERM")).toBe(before + 1);
    health.close();
    expect(process.listenerCount("SIGTERM")).toBe(before);
    expect(shutdown.phase).toBe("running");
    expect(health.readiness).toBe("starting");
  });
});
