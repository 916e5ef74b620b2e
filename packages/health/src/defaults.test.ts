import { afterEach, describe, expect, it, vi } from "vitest";
import { createHealth, HealthError } from "./index.ts";

afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

describe("the drain wait happens only behind a load balancer", () => {
  it("on a developer's machine a shutdown does not wait before closing", async () => {
    vi.stubEnv("KUBERNETES_SERVICE_HOST", undefined);
    vi.stubEnv("NODE_ENV", "development");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const health = createHealth();
    const shutdown = health.gracefulShutdown({ signals: [], exit: false });
    // Resolves without any timer being advanced: no drain.
    await expect(shutdown("Ctrl-C")).resolves.toBe(0);
    health.close();
  });

  it.each([
    ["under Kubernetes", { KUBERNETES_SERVICE_HOST: "10.96.0.1", NODE_ENV: "development" }],
    ["with NODE_ENV=production", { KUBERNETES_SERVICE_HOST: undefined, NODE_ENV: "production" }],
  ])("%s it keeps serving with readiness at 503 for 5 s first", async (_, variables) => {
    for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const health = createHealth();
    const shutdown = health.gracefulShutdown({ signals: [], exit: false });
    const done = shutdown("SIGTERM");
    expect(shutdown.phase).toBe("draining");
    await vi.advanceTimersByTimeAsync(4999);
    expect(shutdown.phase).toBe("draining");
    await vi.advanceTimersByTimeAsync(1);
    await expect(done).resolves.toBe(0);
    health.close();
  });
});

describe("close()", () => {
  it("refuses every later call with a HealthError EHEALTHCLOSED", async () => {
    const health = createHealth({ checks: { database: async () => true } });
    health.close();
    const closed = (error: unknown) =>
      HealthError.isInstance(error) && error.code === "EHEALTHCLOSED";
    await expect(health.check()).rejects.toSatisfy(closed);
    await expect(health.probe("ready")).rejects.toSatisfy(closed);
    expect(() => health.markReady()).toThrow(
      new HealthError(
        "EHEALTHCLOSED",
        "This health object was closed: create a new one with createHealth()",
      ),
    );
    expect(() => health.gracefulShutdown({ signals: [], exit: false })).toThrow(/was closed/);
    expect(() => health.on("check", () => {})).toThrow(/was closed/);
  });
});

describe("format", () => {
  it('answers "json" by default and by name, and names both formats when refusing another', async () => {
    const health = createHealth({ format: "json", checks: { database: async () => true } });
    const answer = await health.probe("health");
    expect(answer.contentType).toBe("application/json; charset=utf-8");
    expect(JSON.parse(answer.body)).toMatchObject({ status: "healthy" });
    health.close();
    expect(() => createHealth({ format: "xml" as never })).toThrow(
      'Expected `format` to be one of "json", "health+json", got "xml"',
    );
    expect(() => createHealth({ format: "seed" as never })).toThrow(
      'Expected `format` to be one of "json", "health+json", got "seed"',
    );
  });
});
