import { getEventListeners } from "node:events";
import { type Deferred, deferred } from "@mcp-prod/testkit";
import { beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import {
  type Breaker,
  type BreakerCall,
  BreakerOpenError,
  type BreakerOptions,
  BreakerShutdownError,
  type BreakerState,
  BreakerTimeoutError,
  createBreaker,
} from "./index.ts";
import { activeRotationClocks } from "./rotation.ts";

function track<B extends Breaker<never[], unknown>>(breaker: B): B {
  onTestFinished(() => breaker.close());
  return breaker;
}

/** A breaker whose action succeeds or fails on demand. */
function scripted(options: BreakerOptions = {}) {
  const breaker = track(
    createBreaker(
      async (outcome: "ok" | "fail") => {
        if (outcome === "fail") throw new Error("upstream down");
        return "ok";
      },
      { name: "scripted", timeout: false, ...options },
    ),
  );
  const run = (outcome: "ok" | "fail") => breaker.fire(outcome).catch((error: unknown) => error);
  return { breaker, run };
}

function recordStates(breaker: Breaker<never[], unknown>): BreakerState[] {
  const seen: BreakerState[] = [];
  breaker.on("stateChange", ({ to }) => seen.push(to));
  return seen;
}

beforeEach(() => {
  vi.useFakeTimers();
  onTestFinished(() => {
    vi.useRealTimers();
  });
});

describe("closed → open", () => {
  it("opens only once volumeThreshold calls in the window cross errorThresholdPercentage", async () => {
    const { breaker, run } = scripted({ volumeThreshold: 4, errorThresholdPercentage: 50 });
    await run("fail");
    await run("fail");
    await run("ok");
    expect(breaker.state).toBe("closed"); // 3 calls: under the volume threshold
    await run("fail");
    expect(breaker.state).toBe("open"); // 4 calls, 75% failed
  });

  it("stays closed while failures do not exceed the threshold", async () => {
    const { breaker, run } = scripted({ volumeThreshold: 4, errorThresholdPercentage: 50 });
    for (const outcome of ["ok", "fail", "ok", "fail", "ok", "fail"] as const) await run(outcome);
    expect(breaker.state).toBe("closed"); // exactly 50% is not more than 50%
    expect(breaker.stats()).toMatchObject({ successes: 3, failures: 3 });
  });

  it("forgets failures that roll out of the window", async () => {
    const { breaker, run } = scripted({
      volumeThreshold: 3,
      rollingCountTimeout: 1000,
      rollingCountBuckets: 10,
    });
    await run("fail");
    await run("fail");
    await vi.advanceTimersByTimeAsync(1500);
    await run("fail");
    expect(breaker.state).toBe("closed"); // only one failure left in the window
    await run("fail");
    await run("fail");
    expect(breaker.state).toBe("open");
  });

  it("rejects with BreakerOpenError while open, without calling the action", async () => {
    let calls = 0;
    const breaker = track(
      createBreaker(
        async () => {
          calls++;
          throw new Error("down");
        },
        { name: "api", timeout: false, resetTimeout: 30_000 },
      ),
    );
    const rejects: number[] = [];
    breaker.on("reject", () => rejects.push(1));
    await breaker.fire().catch(() => undefined);
    vi.advanceTimersByTime(10_000);
    const error = await breaker.fire().catch((caught: unknown) => caught);
    expect(BreakerOpenError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "EOPENBREAKER", breakerName: "api", retryAfterMs: 20_000 });
    expect(calls).toBe(1);
    expect(rejects).toHaveLength(1);
    expect(breaker.stats().rejects).toBe(1);
  });
});

describe("open → half-open → closed / open", () => {
  it("goes half-open after resetTimeout and closes on a probe's success", async () => {
    const { breaker, run } = scripted({ resetTimeout: 5000 });
    const states = recordStates(breaker);
    await run("fail");
    vi.advanceTimersByTime(4999);
    expect(breaker.state).toBe("open");
    vi.advanceTimersByTime(1);
    expect(breaker.state).toBe("halfOpen");
    expect(await run("ok")).toBe("ok");
    expect(states).toEqual(["open", "halfOpen", "closed"]);
  });

  it("re-opens on a probe's failure and waits a full resetTimeout again", async () => {
    const { breaker, run } = scripted({ resetTimeout: 5000 });
    await run("fail");
    vi.advanceTimersByTime(5000);
    await run("fail");
    expect(breaker.state).toBe("open");
    vi.advanceTimersByTime(4999);
    expect(breaker.state).toBe("open");
    vi.advanceTimersByTime(1);
    expect(breaker.state).toBe("halfOpen");
  });

  it("lets one probe through while half-open and rejects concurrent calls at once", async () => {
    const gates: Deferred<string>[] = [];
    const breaker = track(
      createBreaker(
        (fail: boolean) => {
          if (fail) return Promise.reject(new Error("down"));
          const gate = deferred<string>();
          gates.push(gate);
          return gate.promise;
        },
        { timeout: false, resetTimeout: 1000 },
      ),
    );
    await breaker.fire(true).catch(() => undefined);
    vi.advanceTimersByTime(1000);
    const probe = breaker.fire(false);
    const others = await Promise.all(
      [breaker.fire(false), breaker.fire(false)].map((call) => call.catch((e: unknown) => e)),
    );
    expect(others.every((error) => BreakerOpenError.isInstance(error))).toBe(true);
    expect(others.map((error) => (error as BreakerOpenError).retryAfterMs)).toEqual([0, 0]);
    expect(gates).toHaveLength(1);
    gates[0]?.resolve("fine");
    await expect(probe).resolves.toBe("fine");
    expect(breaker.state).toBe("closed");
  });

  it("admits halfOpenMaxCalls probes", async () => {
    const gates: Deferred<string>[] = [];
    const breaker = track(
      createBreaker(
        () => {
          const gate = deferred<string>();
          gates.push(gate);
          return gate.promise;
        },
        { timeout: false, resetTimeout: 1000, halfOpenMaxCalls: 2 },
      ),
    );
    breaker.forceOpen();
    vi.advanceTimersByTime(1000);
    const probes = [breaker.fire(), breaker.fire()];
    const third = await breaker.fire().catch((error: unknown) => error);
    expect(BreakerOpenError.isInstance(third)).toBe(true);
    expect(gates).toHaveLength(2);
    for (const gate of gates) gate.resolve("ok");
    await Promise.all(probes);
    expect(breaker.state).toBe("closed");
  });

  it("does not close on the success of a call started before it opened", async () => {
    const slow = deferred<string>();
    const breaker = track(
      createBreaker(
        (mode: "slow" | "fail") =>
          mode === "slow" ? slow.promise : Promise.reject(new Error("x")),
        {
          timeout: false,
          resetTimeout: 1000,
        },
      ),
    );
    const old = breaker.fire("slow");
    await breaker.fire("fail").catch(() => undefined);
    vi.advanceTimersByTime(1000);
    expect(breaker.state).toBe("halfOpen");
    slow.resolve("late");
    await expect(old).resolves.toBe("late");
    expect(breaker.state).toBe("halfOpen");
  });

  it("clears the failure window on close so old failures do not re-open it", async () => {
    const { breaker, run } = scripted({ volumeThreshold: 4, resetTimeout: 1000 });
    for (let index = 0; index < 4; index++) await run("fail");
    expect(breaker.state).toBe("open");
    vi.advanceTimersByTime(1000);
    await run("ok");
    expect(breaker.state).toBe("closed");
    await run("fail");
    await run("fail");
    await run("fail");
    expect(breaker.state).toBe("closed"); // 3 calls since closing: under volumeThreshold
  });
});

describe("classification", () => {
  it("excuses errors matched by errorFilter: they reject but never trip the breaker", async () => {
    class ValidationError extends Error {}
    const breaker = track(
      createBreaker(
        async () => {
          throw new ValidationError("bad input");
        },
        { timeout: false, errorFilter: (error) => error instanceof ValidationError },
      ),
    );
    for (let index = 0; index < 5; index++) {
      await expect(breaker.fire()).rejects.toBeInstanceOf(ValidationError);
    }
    expect(breaker.state).toBe("closed");
    expect(breaker.stats()).toMatchObject({ successes: 0, failures: 0 });
  });

  it("does not close a half-open breaker on an excused error, and frees the probe slot", async () => {
    class ValidationError extends Error {}
    const breaker = track(
      createBreaker(
        async (mode: "invalid" | "ok") => {
          if (mode === "invalid") throw new ValidationError("bad input");
          return "ok";
        },
        {
          timeout: false,
          resetTimeout: 1000,
          errorFilter: (error) => error instanceof ValidationError,
        },
      ),
    );
    breaker.forceOpen();
    vi.advanceTimersByTime(1000);
    await expect(breaker.fire("invalid")).rejects.toBeInstanceOf(ValidationError);
    expect(breaker.state).toBe("halfOpen");
    await expect(breaker.fire("ok")).resolves.toBe("ok");
    expect(breaker.state).toBe("closed");
  });

  it("counts a resolved value as a failure when execute's isFailure says so", async () => {
    const breaker = track(createBreaker(async () => "unused", { timeout: false }));
    const failures: unknown[] = [];
    breaker.on("failure", ({ error }) => failures.push(error));
    const value = await breaker.execute(async () => ({ status: 503 }), {
      isFailure: (response) => response.status >= 500,
    });
    expect(value).toEqual({ status: 503 });
    expect(breaker.state).toBe("open");
    expect(failures[0]).toMatchObject({ code: "ETOOLRESULT", result: { status: 503 } });
  });

  it("passes success and failure listeners one object with the error and latencyMs", async () => {
    const breaker = track(
      createBreaker(
        async (fail: boolean) => {
          if (fail) throw new Error("upstream 503");
          return "ok";
        },
        { timeout: false, volumeThreshold: 10 },
      ),
    );
    const events: unknown[][] = [];
    breaker.on("success", (...args) => events.push(["success", ...args]));
    breaker.on("failure", (...args) => events.push(["failure", ...args]));
    await breaker.fire(false);
    await breaker.fire(true).catch(() => undefined);
    expect(events).toEqual([
      ["success", { latencyMs: expect.any(Number) }],
      ["failure", { error: new Error("upstream 503"), latencyMs: expect.any(Number) }],
    ]);
  });

  it("treats a synchronous throw as a failure and a synchronous value as a success", async () => {
    const breaker = track(
      createBreaker(
        (fail: boolean) => {
          if (fail) throw new Error("sync");
          return 7;
        },
        { timeout: false, volumeThreshold: 10 },
      ),
    );
    await expect(breaker.fire(false)).resolves.toBe(7);
    await expect(breaker.fire(true)).rejects.toThrow("sync");
    expect(breaker.stats()).toMatchObject({ successes: 1, failures: 1 });
  });
});

describe("timeouts and cancellation", () => {
  it("rejects a call that outlives timeout with BreakerTimeoutError and aborts only that call's signal", async () => {
    const signals: AbortSignal[] = [];
    const gates: Deferred<string>[] = [];
    const breaker = track(
      createBreaker(
        ({ signal }, _label: string) => {
          signals.push(signal);
          const gate = deferred<string>();
          gates.push(gate);
          return gate.promise;
        },
        { abortable: true, timeout: 1000, volumeThreshold: 10 },
      ),
    );
    const timeouts: number[] = [];
    breaker.on("timeout", ({ latencyMs }) => timeouts.push(latencyMs));
    const first = breaker.fire("first").catch((error: unknown) => error);
    vi.advanceTimersByTime(500);
    const second = breaker.fire("second");
    vi.advanceTimersByTime(500);
    const error = await first;
    expect(BreakerTimeoutError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "ETIMEDOUT", timeoutMs: 1000 });
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toBe(error);
    expect(signals[1]?.aborted).toBe(false);
    gates[1]?.resolve("done");
    await expect(second).resolves.toBe("done");
    expect(timeouts).toEqual([1000]);
    expect(breaker.stats()).toMatchObject({ timeouts: 1, failures: 1, successes: 1 });
  });

  it("times out calls in order with one shared deadline timer", async () => {
    const breaker = track(
      createBreaker(() => new Promise<never>(() => {}), { timeout: 1000, volumeThreshold: 100 }),
    );
    const outcomes: string[] = [];
    for (const label of ["a", "b", "c"]) {
      breaker.fire().catch(() => outcomes.push(label));
      vi.advanceTimersByTime(300);
    }
    expect(vi.getTimerCount()).toBe(2); // the deadline timer and the shared bucket-rotation timer
    await vi.advanceTimersByTimeAsync(100);
    expect(outcomes).toEqual(["a"]);
    await vi.advanceTimersByTimeAsync(600);
    expect(outcomes).toEqual(["a", "b", "c"]);
  });

  it("counts a caller's cancellation as neither success nor failure and aborts the action's signal", async () => {
    let seen: AbortSignal | undefined;
    const breaker = track(
      createBreaker(
        ({ signal }) => {
          seen = signal;
          return new Promise<never>(() => {});
        },
        { abortable: true, timeout: 5000 },
      ),
    );
    const controller = new AbortController();
    const pending = breaker.fireWith({ signal: controller.signal });
    controller.abort(new Error("client cancelled"));
    await expect(pending).rejects.toThrow("client cancelled");
    expect(seen?.aborted).toBe(true);
    expect(breaker.stats()).toMatchObject({ successes: 0, failures: 0, timeouts: 0 });
    expect(breaker.state).toBe("closed");
    await vi.advanceTimersByTimeAsync(5000);
    expect(breaker.stats().timeouts).toBe(0);
  });

  it("rejects with the caller's reason once an action that ignores the signal settles, counted as neither", async () => {
    const gate = deferred<string>();
    const breaker = track(createBreaker(() => gate.promise, { timeout: 5000 }));
    const controller = new AbortController();
    const pending = breaker
      .fireWith({ signal: controller.signal })
      .catch((error: unknown) => error);
    controller.abort(new Error("client left"));
    gate.resolve("late answer");
    expect(await pending).toEqual(new Error("client left"));
    expect(breaker.stats()).toMatchObject({ successes: 0, failures: 0 });
  });

  it("listens to the caller's signal only while an action that read it is running", async () => {
    const controller = new AbortController();
    const listeners = () => getEventListeners(controller.signal, "abort").length;
    const gates: Deferred<string>[] = [];
    const reads = track(
      createBreaker(
        (call: BreakerCall) => {
          void call.signal;
          const gate = deferred<string>();
          gates.push(gate);
          return gate.promise;
        },
        { abortable: true, timeout: 5000 },
      ),
    );
    const ignores = track(
      createBreaker(() => {
        const gate = deferred<string>();
        gates.push(gate);
        return gate.promise;
      }),
    );
    const reading = reads.fireWith({ signal: controller.signal });
    expect(listeners()).toBe(1);
    const ignoring = ignores.fireWith({ signal: controller.signal });
    expect(listeners()).toBe(1);
    for (const gate of gates) gate.resolve("ok");
    await Promise.all([reading, ignoring]);
    expect(listeners()).toBe(0);
  });

  it("rejects at once with the reason of an already aborted signal", async () => {
    let calls = 0;
    const breaker = track(createBreaker(async () => calls++, { timeout: false }));
    await expect(
      breaker.fireWith({ signal: AbortSignal.abort(new Error("gone")) }),
    ).rejects.toThrow("gone");
    expect(calls).toBe(0);
  });

  it("a cancelled probe frees its slot for the next one", async () => {
    const breaker = track(
      createBreaker(
        ({ signal }) => new Promise<string>((resolve) => signal.aborted || resolve("ok")),
        {
          abortable: true,
          timeout: false,
          resetTimeout: 1000,
        },
      ),
    );
    breaker.forceOpen();
    vi.advanceTimersByTime(1000);
    await expect(breaker.fireWith({ signal: AbortSignal.abort() })).rejects.toThrow();
    await expect(breaker.fire()).resolves.toBe("ok");
    expect(breaker.state).toBe("closed");
  });
});

describe("probes that end late", () => {
  it("a probe cancelled while in flight frees its slot for the next one", async () => {
    const gates: Deferred<string>[] = [];
    const breaker = track(
      createBreaker(
        ({ signal }) => {
          const gate = deferred<string>();
          gates.push(gate);
          signal.addEventListener("abort", () => gate.reject(signal.reason));
          return gate.promise;
        },
        { abortable: true, timeout: false, resetTimeout: 1000 },
      ),
    );
    breaker.forceOpen();
    vi.advanceTimersByTime(1000);
    const controller = new AbortController();
    const cancelled = breaker
      .fireWith({ signal: controller.signal })
      .catch((error: unknown) => error);
    expect(gates).toHaveLength(1);
    controller.abort(new Error("client gave up"));
    expect(await cancelled).toMatchObject({ message: "client gave up" });
    expect(breaker.state).toBe("halfOpen");
    const next = breaker.fire();
    expect(gates).toHaveLength(2);
    gates[1]?.resolve("ok");
    await expect(next).resolves.toBe("ok");
    expect(breaker.state).toBe("closed");
  });

  it("a probe of an earlier half-open period that succeeds late does not close the circuit", async () => {
    const gates: Deferred<string>[] = [];
    const breaker = track(
      createBreaker(
        () => {
          const gate = deferred<string>();
          gates.push(gate);
          return gate.promise;
        },
        { timeout: false, resetTimeout: 1000, halfOpenMaxCalls: 2 },
      ),
    );
    breaker.forceOpen();
    vi.advanceTimersByTime(1000);
    const failing = breaker.fire().catch(() => undefined);
    const late = breaker.fire();
    gates[0]?.reject(new Error("still down"));
    await failing;
    expect(breaker.state).toBe("open");
    gates[1]?.resolve("ok");
    await expect(late).resolves.toBe("ok");
    expect(breaker.state).toBe("open");
  });
});

describe("slow calls", () => {
  it("opens when slow calls reach slowCallPercentage even though they succeed", async () => {
    const breaker = track(
      createBreaker(
        (delayMs: number) =>
          new Promise<string>((resolve) => setTimeout(() => resolve("ok"), delayMs)),
        { timeout: false, slowCallMs: 200, slowCallPercentage: 50, volumeThreshold: 4 },
      ),
    );
    for (const delay of [10, 300, 10]) {
      const call = breaker.fire(delay);
      await vi.advanceTimersByTimeAsync(delay);
      await call;
    }
    expect(breaker.state).toBe("closed");
    const call = breaker.fire(300);
    await vi.advanceTimersByTimeAsync(300);
    await expect(call).resolves.toBe("ok");
    expect(breaker.state).toBe("open"); // 2 of 4 calls slow
  });

  it("counts a call of exactly slowCallMs as slow and opens only once the share reaches slowCallPercentage", async () => {
    const breaker = track(
      createBreaker(
        (delayMs: number) =>
          new Promise<string>((resolve) => setTimeout(() => resolve("ok"), delayMs)),
        { timeout: false, slowCallMs: 200, slowCallPercentage: 50, volumeThreshold: 4 },
      ),
    );
    const states: string[] = [];
    for (const delay of [10, 200, 10, 10, 200, 200]) {
      const call = breaker.fire(delay);
      await vi.advanceTimersByTimeAsync(delay);
      await call;
      states.push(breaker.state);
    }
    // 1 of 4, then 2 of 5 calls slow: below 50%; 3 of 6 reaches it.
    expect(states).toEqual(["closed", "closed", "closed", "closed", "closed", "open"]);
  });
});

describe("stats, health and saved state", () => {
  it("reports the telemetry shape with latency mean and p99", async () => {
    const breaker = track(
      createBreaker(
        (delayMs: number) =>
          new Promise<string>((resolve) => setTimeout(() => resolve("ok"), delayMs)),
        { timeout: false },
      ),
    );
    for (let index = 0; index < 99; index++) {
      const call = breaker.fire(10);
      await vi.advanceTimersByTimeAsync(10);
      await call;
    }
    const call = breaker.fire(1000);
    await vi.advanceTimersByTimeAsync(1000);
    await call;
    const stats = breaker.stats();
    expect(Object.keys(stats).sort()).toEqual(
      ["failures", "latencyMean", "latencyP99", "rejects", "state", "successes", "timeouts"].sort(),
    );
    expect(stats).toMatchObject({
      state: "closed",
      successes: 100,
      failures: 0,
      rejects: 0,
      timeouts: 0,
    });
    expect(stats.latencyMean).toBeCloseTo(19.9, 5);
    expect(stats.latencyP99).toBeGreaterThanOrEqual(10);
    expect(stats.latencyP99).toBeLessThan(11); // within the histogram's ~9% bucket width
  });

  it("forgets latencies older than two rolling windows while keeping the counts", async () => {
    const breaker = track(
      createBreaker(
        (delayMs: number) =>
          new Promise<string>((resolve) => setTimeout(() => resolve("ok"), delayMs)),
        { timeout: false, rollingCountTimeout: 1000, rollingCountBuckets: 10 },
      ),
    );
    const call = breaker.fire(50);
    await vi.advanceTimersByTimeAsync(50);
    await call;
    expect(breaker.stats().latencyMean).toBe(50);
    await vi.advanceTimersByTimeAsync(1000);
    expect(breaker.stats().latencyMean).toBe(50); // still within the previous window
    await vi.advanceTimersByTimeAsync(1000);
    expect(breaker.stats()).toMatchObject({ latencyMean: 0, latencyP99: 0, successes: 1 });
  });

  it("maps closed / half-open / open to healthy / degraded / unhealthy", () => {
    const { breaker } = scripted({ resetTimeout: 1000 });
    expect(breaker.healthCheck()).toBe("healthy");
    breaker.forceOpen();
    expect(breaker.healthCheck()).toBe("unhealthy");
    vi.advanceTimersByTime(1000);
    expect(breaker.healthCheck()).toBe("degraded");
  });

  it("restores an open breaker from toJSON() and goes half-open when its resetTimeout has passed", () => {
    const first = scripted({ resetTimeout: 10_000 }).breaker;
    first.forceOpen();
    const saved = JSON.parse(JSON.stringify(first));
    expect(saved).toEqual({ name: "scripted", state: "open", openedAt: Date.now() });
    const restored = scripted({ resetTimeout: 10_000, initialState: saved }).breaker;
    expect(restored.state).toBe("open");
    vi.advanceTimersByTime(10_000);
    expect(restored.state).toBe("halfOpen");
    const late = scripted({
      resetTimeout: 10_000,
      initialState: { ...saved, openedAt: Date.now() - 20_000 },
    }).breaker;
    expect(late.state).toBe("halfOpen");
  });
});

describe("options", () => {
  it("never mutates the options object it is given", () => {
    const options = Object.freeze({ name: "frozen", timeout: 100 });
    expect(() => track(createBreaker(async () => 1, options))).not.toThrow();
    expect(options).toEqual({ name: "frozen", timeout: 100 });
  });

  it.each([
    [{ timeout: -1 }, "Expected `timeout` to be a positive finite number, got -1"],
    [
      { errorThresholdPercentage: 150 },
      "Expected `errorThresholdPercentage` to be a number from 0 to 100, got 150",
    ],
    [{ halfOpenMaxCalls: 0 }, "Expected `halfOpenMaxCalls` to be a positive integer, got 0"],
    [{ errorFilter: "x" }, 'Expected `errorFilter` to be a function, got "x"'],
    [
      { initialState: { name: "x", state: "ajar" } },
      'Expected `initialState.state` to be one of "closed", "open", "halfOpen", got "ajar"',
    ],
  ])("rejects %o with a TypeError naming the option", (options, message) => {
    expect(() => createBreaker(async () => 1, options as BreakerOptions)).toThrow(
      new TypeError(message),
    );
  });

  it("rejects an action that is not a function", () => {
    expect(() => createBreaker("nope" as never)).toThrow(
      new TypeError('Expected `action` to be a function, got "nope"'),
    );
  });
});

describe("shutdown", () => {
  it("rejects later calls with BreakerShutdownError and stops the shared rotation timer", async () => {
    const breaker = createBreaker(async () => 1, { name: "stopping" });
    expect(activeRotationClocks()).toBe(1);
    breaker.close();
    expect(activeRotationClocks()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    const error = await breaker.fire().catch((caught: unknown) => caught);
    expect(BreakerShutdownError.isInstance(error)).toBe(true);
  });

  it("shares one rotation timer between breakers with the same bucket length", () => {
    const first = track(createBreaker(async () => 1));
    const second = track(createBreaker(async () => 2));
    expect(activeRotationClocks()).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    first.close();
    expect(activeRotationClocks()).toBe(1);
    second.close();
    expect(activeRotationClocks()).toBe(0);
  });
});
