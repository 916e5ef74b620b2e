import { connectInMemory as connect } from "@mcp-prod/testkit";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { textOf } from "./breaker.test-helpers.ts";
import {
  type Breaker,
  type BreakerCall,
  BreakerOpenError,
  type BreakerOptions,
  type BreakerState,
  BreakerTimeoutError,
  createBreaker,
  createBreakerGroup,
  withBreaker,
} from "./index.ts";

beforeEach(() => {
  vi.useFakeTimers();
  onTestFinished(() => {
    vi.useRealTimers();
  });
});

class ValidationError extends Error {}

/** A breaker that opens after 3 failures in a row; its action succeeds, fails or is excused on demand. */
function streak(options: BreakerOptions = {}) {
  const breaker = createBreaker(
    async (outcome: "ok" | "fail" | "invalid") => {
      if (outcome === "fail") throw new Error("upstream down");
      if (outcome === "invalid") throw new ValidationError("bad input");
      return "ok";
    },
    {
      name: "streak",
      timeout: false,
      consecutiveFailures: 3,
      resetTimeout: 5000,
      errorFilter: (error) => error instanceof ValidationError,
      ...options,
    },
  );
  onTestFinished(() => breaker.close());
  const run = (outcome: "ok" | "fail" | "invalid") =>
    breaker.fire(outcome).catch((error: unknown) => error);
  return { breaker, run, states: recordStates(breaker) };
}

function recordStates(breaker: Breaker<never[], unknown>): BreakerState[] {
  const seen: BreakerState[] = [];
  breaker.on("stateChange", ({ to }) => seen.push(to));
  return seen;
}

describe("consecutiveFailures: closed → open", () => {
  it("opens on the nth failure in a row, whatever the share of failures", async () => {
    const { breaker, run, states } = streak();
    for (let index = 0; index < 20; index++) await run("ok");
    await run("fail");
    await run("fail");
    expect(breaker.state).toBe("closed");
    const opened = vi.fn();
    breaker.on("open", opened);
    await run("fail");
    expect(breaker.state).toBe("open");
    expect(opened).toHaveBeenCalledTimes(1);
    expect(states).toEqual(["open"]);
    expect(breaker.stats()).toMatchObject({ state: "open", successes: 20, failures: 3 });
  });

  it("restarts the count after a success", async () => {
    const { breaker, run } = streak();
    for (const outcome of ["fail", "fail", "ok", "fail", "fail", "ok", "fail", "fail"] as const)
      await run(outcome);
    expect(breaker.state).toBe("closed");
    await run("fail");
    expect(breaker.state).toBe("open");
  });

  it("neither counts nor resets on excused errors and cancelled calls", async () => {
    const cancelled = createBreaker(
      async ({ signal }: BreakerCall, fail: boolean) => {
        if (fail) throw new Error("down");
        await new Promise((_resolve, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason)),
        );
      },
      { abortable: true, timeout: false, consecutiveFailures: 2 },
    );
    onTestFinished(() => cancelled.close());
    await cancelled.fire(true).catch(() => undefined);
    const controller = new AbortController();
    const pending = cancelled.fireWith({ signal: controller.signal }, false);
    controller.abort(new Error("client went away"));
    await expect(pending).rejects.toThrow("client went away");
    expect(cancelled.state).toBe("closed");
    await cancelled.fire(true).catch(() => undefined);
    expect(cancelled.state).toBe("open"); // the cancellation did not reset the count

    const { breaker, run } = streak();
    await run("fail");
    await run("fail");
    expect(await run("invalid")).toBeInstanceOf(ValidationError);
    expect(breaker.state).toBe("closed");
    await run("fail");
    expect(breaker.state).toBe("open"); // the excused error did not reset the count either
    expect(breaker.stats().failures).toBe(3);
  });

  it("counts timeouts and failing results as failures", async () => {
    const slow = createBreaker(() => new Promise(() => undefined), {
      timeout: 100,
      consecutiveFailures: 2,
    });
    onTestFinished(() => slow.close());
    const first = slow.fire().catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(100);
    expect(await first).toBeInstanceOf(BreakerTimeoutError);
    const second = slow.fire().catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(100);
    await second;
    expect(slow.state).toBe("open");
    expect(slow.stats()).toMatchObject({ timeouts: 2, failures: 2 });

    const results = createBreaker(() => undefined, { consecutiveFailures: 2 });
    onTestFinished(() => results.close());
    for (let index = 0; index < 2; index++)
      await results.execute(() => ({ isError: true }), { isFailure: (value) => value.isError });
    expect(results.state).toBe("open");
  });

  it("rejects with BreakerOpenError while open, without running the action", async () => {
    const { breaker, run } = streak();
    for (let index = 0; index < 3; index++) await run("fail");
    vi.advanceTimersByTime(1000);
    const error = await run("ok");
    expect(BreakerOpenError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ breakerName: "streak", retryAfterMs: 4000 });
    expect(breaker.stats()).toMatchObject({ rejects: 1, successes: 0 });
  });
});

describe("consecutiveFailures: open → half-open → closed / open", () => {
  it("probes after resetTimeout and closes on the probe's success, with a fresh count", async () => {
    const { breaker, run, states } = streak();
    for (let index = 0; index < 3; index++) await run("fail");
    vi.advanceTimersByTime(4999);
    expect(breaker.state).toBe("open");
    vi.advanceTimersByTime(1);
    expect(breaker.state).toBe("halfOpen");
    expect(breaker.healthCheck()).toBe("degraded");
    expect(await run("ok")).toBe("ok");
    expect(states).toEqual(["open", "halfOpen", "closed"]);
    await run("fail");
    await run("fail");
    expect(breaker.state).toBe("closed"); // the failures before opening are forgotten
    await run("fail");
    expect(breaker.state).toBe("open");
  });

  it("re-opens on the probe's failure and waits a full resetTimeout again", async () => {
    const { breaker, run, states } = streak();
    for (let index = 0; index < 3; index++) await run("fail");
    vi.advanceTimersByTime(5000);
    await run("fail");
    expect(breaker.state).toBe("open");
    vi.advanceTimersByTime(4999);
    expect(breaker.state).toBe("open");
    vi.advanceTimersByTime(1);
    expect(states).toEqual(["open", "halfOpen", "open", "halfOpen"]);
  });

  it("lets an excused probe free its slot without deciding", async () => {
    const { breaker, run } = streak();
    for (let index = 0; index < 3; index++) await run("fail");
    vi.advanceTimersByTime(5000);
    await run("invalid");
    expect(breaker.state).toBe("halfOpen");
    expect(await run("ok")).toBe("ok");
    expect(breaker.state).toBe("closed");
  });

  it("starts counting afresh when forced open and closed again", async () => {
    const { breaker, run, states } = streak();
    await run("fail");
    await run("fail");
    breaker.forceOpen();
    breaker.forceClose();
    await run("fail");
    await run("fail");
    expect(breaker.state).toBe("closed");
    await run("fail");
    expect(states).toEqual(["open", "closed", "open"]);
  });
});

describe("consecutiveFailures: options", () => {
  const action = async () => "ok";

  it("must be a positive integer", () => {
    for (const value of [0, -1, 1.5, "3", Number.NaN]) {
      expect(() => createBreaker(action, { consecutiveFailures: value as number })).toThrow(
        /^Expected `consecutiveFailures` to be a positive integer, got /,
      );
    }
  });

  it("refuses the options of the rolling-percentage rule alongside it", () => {
    for (const clash of [
      { errorThresholdPercentage: 50 },
      { volumeThreshold: 5 },
      { slowCallMs: 1000 },
      { slowCallPercentage: 80 },
    ]) {
      const [name] = Object.keys(clash);
      expect(() => createBreaker(action, { consecutiveFailures: 3, ...clash })).toThrow(
        new TypeError(
          `Expected either \`consecutiveFailures\` or \`${name}\`, got both: \`consecutiveFailures\` opens after that many failures in a row and replaces the rolling-percentage rule that \`${name}\` configures`,
        ),
      );
    }
  });

  it("applies to every breaker of a group, each counting its own failures", async () => {
    const group = createBreakerGroup(
      async (fail: boolean) => {
        if (fail) throw new Error("down");
      },
      { name: "tenants", timeout: false, consecutiveFailures: 2 },
    );
    onTestFinished(() => group.close());
    await group.fire("a", true).catch(() => undefined);
    await group.fire("b", true).catch(() => undefined);
    expect([group.for("a").state, group.for("b").state]).toEqual(["closed", "closed"]);
    await group.fire("a", true).catch(() => undefined);
    expect([group.for("a").state, group.for("b").state]).toEqual(["open", "closed"]);
    expect(() => createBreakerGroup(action, { consecutiveFailures: 0 })).toThrow(
      "Expected `consecutiveFailures` to be a positive integer, got 0",
    );
  });

  it("applies to withBreaker on an McpServer/Client pair, isError results counted", async () => {
    vi.useRealTimers();
    const server = new McpServer({ name: "test", version: "1.0.0" });
    let calls = 0;
    server.registerTool(
      "lookup",
      {},
      withBreaker(
        async () => {
          calls++;
          return { content: [{ type: "text" as const, text: "no such row" }], isError: true };
        },
        { name: "lookup", consecutiveFailures: 2, resetTimeout: 60_000 },
      ),
    );
    const { client, close } = await connect(server);
    try {
      for (let index = 0; index < 2; index++)
        expect(textOf(await client.callTool({ name: "lookup" }))).toBe("no such row");
      const refused = await client.callTool({ name: "lookup" });
      expect(refused).toMatchObject({
        isError: true,
        _meta: { "mcp-prod/breaker": { open: true } },
      });
      expect(textOf(refused)).toBe("Service temporarily unavailable");
      expect(calls).toBe(2);
    } finally {
      await close();
    }
    expect(() => withBreaker(action, { consecutiveFailures: 2, volumeThreshold: 1 })).toThrow(
      /either `consecutiveFailures` or `volumeThreshold`/,
    );
  });
});
