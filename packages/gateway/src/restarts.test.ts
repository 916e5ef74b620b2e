// Gateway replicas as processes (`node dist/cli.js`) sharing one Redis behind a balancer that
// sends every request to the next replica, killed and restarted under a client that keeps
// calling: only calls in flight on a killed replica may fail, and the session never changes.
import { randomBytes, randomUUID } from "node:crypto";
import { freePort, redisUrl, waitFor } from "@mcp-prod/testkit";
import { connectHttp, connectHttp2 } from "@mcp-prod/testkit/http";
import { describe, expect, it, onTestFinished } from "vitest";
import { startBalancer } from "./balancer.ts";
import {
  everything,
  type ReplicaProcess,
  startBackend,
  startReplica,
} from "./gateway.test-helpers.ts";

const DRAIN_MS = 300;

/** The environment every replica of one deployment shares. */
async function deployment() {
  const backend = await startBackend(everything, { stateful: true });
  onTestFinished(() => backend.close());
  const env = {
    GATEWAY_BACKENDS: backend.url,
    REDIS_URL: redisUrl(),
    GATEWAY_REDIS_KEY_PREFIX: `restarts-${randomUUID()}`,
    GATEWAY_SESSION_KEY: randomBytes(32).toString("base64url"),
    SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
    GATEWAY_REFRESH_INTERVAL_MS: "0",
    // The client calls as fast as it can: its budget is not under test here.
    RATE_LIMIT_REQUEST_POINTS: "1000000",
    RATE_LIMIT_POINTS: "1000000",
  };
  const running = new Set<ReplicaProcess>();
  onTestFinished(async () => {
    for (const replica of running) {
      replica.kill("SIGKILL");
      await replica.exited;
    }
  });
  const start = async (port: number) => {
    const replica = await startReplica(port, env);
    running.add(replica);
    void replica.exited.then(() => running.delete(replica));
    return replica;
  };
  return { backend, start };
}

describe.each([
  ["1.x", connectHttp],
  ["2.x", connectHttp2],
] as const)("an SDK %s client through three replica processes", (_sdk, connect) => {
  it("keeps its session through a SIGKILL and restart of one replica and a rolling restart of all three", {
    timeout: 120_000,
  }, async () => {
    const { start } = await deployment();
    const ports = [await freePort(), await freePort(), await freePort()];
    const replicas = await Promise.all(ports.map(start));
    const balancer = await startBalancer({ targets: replicas.map((replica) => replica.url) });
    onTestFinished(() => balancer.close());
    const { client, sessionId, close } = await connect(`${balancer.url}/mcp`);
    onTestFinished(close);
    const id = sessionId();

    const outcomes: Array<"ok" | "failed"> = [];
    const reasons: string[] = [];
    let stop = false;
    const calls = (async () => {
      // One call at a time: at most one is in flight when a replica dies.
      while (!stop) {
        try {
          const result = (await client.callTool({ name: "echo_meta" })) as {
            isError?: boolean;
            content?: Array<{ text?: string }>;
          };
          outcomes.push(result.isError ? "failed" : "ok");
          if (result.isError) reasons.push(result.content?.[0]?.text ?? "isError");
        } catch (error) {
          outcomes.push("failed");
          reasons.push(String(error));
        }
      }
    })();
    const moreCalls = async (count: number) => {
      const from = outcomes.length;
      await waitFor(
        () => outcomes.slice(from).filter((outcome) => outcome === "ok").length >= count,
        {
          timeoutMs: 20_000,
          what: `${count} more answered calls`,
        },
      );
    };

    await moreCalls(5);
    const killed = replicas[1] as ReplicaProcess;
    killed.kill("SIGKILL");
    await killed.exited;
    await moreCalls(5);
    const failedAtKill = outcomes.filter((outcome) => outcome === "failed").length;
    // Only the call in flight on the killed replica may have failed.
    expect(failedAtKill, reasons.join("\n")).toBeLessThanOrEqual(1);
    replicas[1] = await start(ports[1] as number);
    await moreCalls(5);

    for (const [index, port] of ports.entries()) {
      const replica = replicas[index] as ReplicaProcess;
      replica.kill("SIGTERM");
      expect(await replica.exited).toBe(0);
      await moreCalls(3);
      replicas[index] = await start(port);
      await moreCalls(3);
    }
    stop = true;
    await calls;
    // The rolling restart lost nothing.
    expect(outcomes.filter((outcome) => outcome === "failed").length, reasons.join("\n")).toBe(
      failedAtKill,
    );
    expect(sessionId()).toBe(id);
  });
});

describe("one replica", () => {
  it("restarted with Redis, serves its sessions again", async () => {
    const { start } = await deployment();
    const port = await freePort();
    const first = await start(port);
    const { client, sessionId, close } = await connectHttp(`${first.url}/mcp`);
    onTestFinished(close);
    const id = sessionId();
    expect((await client.callTool({ name: "echo_meta" })).isError).toBeFalsy();
    first.kill("SIGKILL");
    await first.exited;
    await start(port);
    expect((await client.callTool({ name: "echo_meta" })).isError).toBeFalsy();
    expect(sessionId()).toBe(id);
  });

  it("on SIGTERM with idle clients connected, exits within the drain plus one second", async () => {
    const { start } = await deployment();
    const replica = await start(await freePort());
    const idle = await connectHttp(`${replica.url}/mcp`);
    onTestFinished(idle.close);
    // Another client's GET stream, open and idle.
    const stream = await fetch(`${replica.url}/mcp`, {
      headers: {
        accept: "text/event-stream",
        "mcp-session-id": idle.sessionId() ?? "",
        "mcp-protocol-version": "2025-11-25",
      },
    });
    expect(stream.status).toBe(200);
    const startedAt = performance.now();
    replica.kill("SIGTERM");
    expect(await replica.exited).toBe(0);
    expect(performance.now() - startedAt).toBeLessThan(DRAIN_MS + 1000);
    await stream.body?.cancel().catch(() => {});
  });
});
