import { Agent, request as httpRequest } from "node:http";
import { deferred, type Listening, listen, httpGet as request } from "@mcp-prod/testkit";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { HealthError } from "./errors.ts";
import { createHealth, type Health } from "./health.ts";

afterEach(() => {
  vi.useRealTimers();
});

async function serve(health: Health): Promise<Listening> {
  onTestFinished(() => health.close());
  const listening = await listen(health.nodeHandler());
  onTestFinished(() => listening.close());
  return listening;
}

describe("/health", () => {
  it("answers in the json format with server first and every check by name", async () => {
    const health = createHealth({ checks: { database: () => "healthy", cache: () => true } });
    const { url } = await serve(health);
    const answer = await request(`${url}/health`);
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(answer.headers["cache-control"]).toBe("no-store");
    expect(answer.json.status).toBe("healthy");
    expect(answer.json.checks).toEqual({
      server: "healthy",
      database: "healthy",
      cache: "healthy",
    });
    expect(Object.keys(answer.json.checks)[0]).toBe("server");
    expect(new Date(answer.json.timestamp).toISOString()).toBe(answer.json.timestamp);
    expect(answer.json.details.database).toMatchObject({ status: "healthy", critical: true });
    expect(typeof answer.json.details.database.latencyMs).toBe("number");
  });

  it("reports a check that never settles as unhealthy with reason timeout and answers 503", async () => {
    let signal: AbortSignal | undefined;
    const health = createHealth({
      timeoutMs: 50,
      checks: {
        database: (context) => {
          signal = context.signal;
          return new Promise<never>(() => {});
        },
        cache: () => "healthy",
      },
    });
    const { url } = await serve(health);
    const answer = await request(`${url}/health`);
    expect(answer.status).toBe(503);
    expect(answer.json.checks).toEqual({
      server: "healthy",
      database: "unhealthy",
      cache: "healthy",
    });
    expect(answer.json.details.database).toMatchObject({ status: "unhealthy", reason: "timeout" });
    expect(answer.json.details.database.error).toContain("50 ms");
    expect(signal?.aborted).toBe(true);
    expect(HealthError.isInstance(signal?.reason)).toBe(true);
    expect((signal?.reason as HealthError | undefined)?.code).toBe("ECHECKTIMEOUT");
  });

  it("runs each check once for a storm of 1000 concurrent probes", async () => {
    const gate = deferred();
    const runs = { database: 0, cache: 0 };
    const health = createHealth({
      checks: {
        database: async () => {
          runs.database += 1;
          await gate.promise;
        },
        cache: async () => {
          runs.cache += 1;
          await gate.promise;
        },
      },
      timeoutMs: 15_000,
    });
    health.markReady();
    const { server, url } = await serve(health);
    let arrived = 0;
    server.on("request", () => {
      arrived += 1;
      if (arrived === 1000) gate.resolve();
    });
    const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
    onTestFinished(() => agent.destroy());
    const answers = await Promise.all(
      Array.from({ length: 1000 }, () => request(`${url}/health/ready`, agent)),
    );
    expect(arrived).toBe(1000);
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(runs).toEqual({ database: 1, cache: 1 });
  });

  it("is degraded with 200 when only a non-critical check fails, unhealthy with 503 when a critical one does", async () => {
    const failing = async () => {
      throw new Error("ECONNREFUSED");
    };
    const degraded = createHealth({
      checks: { database: () => true, cache: { check: failing, critical: false } },
    });
    const unhealthy = createHealth({
      checks: { database: failing, cache: { check: () => true, critical: false } },
    });
    const reportsDegraded = createHealth({ checks: { search: () => "degraded" } });
    const reportsFalse = createHealth({ checks: { search: () => false } });

    const degradedAnswer = await request(`${(await serve(degraded)).url}/health`);
    expect(degradedAnswer.status).toBe(200);
    expect(degradedAnswer.json.status).toBe("degraded");
    expect(degradedAnswer.json.details.cache).toMatchObject({
      status: "unhealthy",
      critical: false,
      reason: "error",
      error: "ECONNREFUSED",
    });

    const unhealthyAnswer = await request(`${(await serve(unhealthy)).url}/health`);
    expect(unhealthyAnswer.status).toBe(503);
    expect(unhealthyAnswer.json.status).toBe("unhealthy");

    const selfDegraded = await request(`${(await serve(reportsDegraded)).url}/health`);
    expect([selfDegraded.status, selfDegraded.json.status]).toEqual([200, "degraded"]);
    expect(selfDegraded.json.details.search.reason).toBe("reported");

    const selfFalse = await request(`${(await serve(reportsFalse)).url}/health`);
    expect([selfFalse.status, selfFalse.json.status]).toEqual([503, "unhealthy"]);
  });

  it("strips credentials from error messages and leaves details out when asked", async () => {
    const failing = () => {
      throw new Error("connect ECONNREFUSED postgres://app:hunter2@db:5432/app password=s3cret");
    };
    const withDetails = createHealth({ checks: { database: failing } });
    const withoutDetails = createHealth({ checks: { database: failing }, details: false });
    const shown = await request(`${(await serve(withDetails)).url}/health`);
    expect(shown.json.details.database.error).toBe(
      "connect ECONNREFUSED postgres://app:***@db:5432/app password=***",
    );
    expect(shown.text).not.toContain("hunter2");
    const hidden = await request(`${(await serve(withoutDetails)).url}/health`);
    expect(hidden.json).toEqual({
      status: "unhealthy",
      checks: { server: "healthy", database: "unhealthy" },
      timestamp: hidden.json.timestamp,
    });
  });
});

describe("probe routes", () => {
  it("keeps /health/ready and /health/startup at 503 until markReady(), /health/live at 200 throughout", async () => {
    let databaseRuns = 0;
    const health = createHealth({
      checks: {
        database: () => {
          databaseRuns += 1;
          return false;
        },
      },
    });
    const { url } = await serve(health);
    const before = await Promise.all(
      ["live", "ready", "startup"].map((route) => request(`${url}/health/${route}`)),
    );
    expect(before.map((answer) => answer.status)).toEqual([200, 503, 503]);
    expect(before[1]?.json).toMatchObject({
      status: "unhealthy",
      readiness: "starting",
      checks: { server: "unhealthy" },
    });
    expect(databaseRuns).toBe(0);

    health.markReady();
    const live = await request(`${url}/health/live`);
    expect(live.status).toBe(200);
    expect(live.json.checks).toEqual({ server: "healthy" });
    expect(databaseRuns).toBe(0);
    expect((await request(`${url}/health/startup`)).status).toBe(200);
    const ready = await request(`${url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.json.checks).toEqual({ server: "healthy", database: "unhealthy" });
    expect(databaseRuns).toBe(1);
  });

  it("answers 200 on /health/ready once ready and 503 again after markNotReady()", async () => {
    const health = createHealth({ checks: { database: () => true } });
    const { url } = await serve(health);
    const changes: string[] = [];
    health.on("readinessChange", ({ from, to }) => changes.push(`${from}->${to}`));
    health.markReady();
    expect((await request(`${url}/health/ready`)).status).toBe(200);
    health.markNotReady();
    const answer = await request(`${url}/health/ready`);
    expect(answer.status).toBe(503);
    expect(answer.json.readiness).toBe("notReady");
    expect((await request(`${url}/health/startup`)).status).toBe(200);
    expect(changes).toEqual(["starting->ready", "ready->notReady"]);
  });

  it("passes other paths to next() as express middleware and answers 404 without it", async () => {
    const health = createHealth();
    onTestFinished(() => health.close());
    const handler = health.nodeHandler();
    const passed: string[] = [];
    const mounted = await listen((incoming, response) => {
      // What express does for app.use("/health", handler): url loses the prefix, originalUrl keeps it.
      const originalUrl = incoming.url ?? "/";
      Object.assign(incoming, { originalUrl, url: originalUrl.replace(/^\/health/, "") || "/" });
      handler(incoming, response, () => {
        passed.push(originalUrl);
        response.end("next");
      });
    });
    onTestFinished(() => mounted.close());
    expect((await request(`${mounted.url}/health/live?verbose=1`)).status).toBe(200);
    expect((await request(`${mounted.url}/other`)).text).toBe("next");
    expect(passed).toEqual(["/other"]);
    const bare = await serve(createHealth());
    expect((await request(`${bare.url}/nope`)).status).toBe(404);
  });

  it("answers HEAD without a body and other methods with 405 on the node handler", async () => {
    const { port } = await serve(createHealth());
    const send = (method: string) =>
      new Promise<{ status: number; allow: unknown; body: string }>((resolve, reject) => {
        const outgoing = httpRequest(
          { host: "127.0.0.1", port, path: "/health/live", method, agent: false },
          (response) => {
            let body = "";
            response.on("data", (chunk) => {
              body += chunk;
            });
            response.on("end", () =>
              resolve({ status: response.statusCode ?? 0, allow: response.headers.allow, body }),
            );
          },
        );
        outgoing.on("error", reject).end();
      });
    expect(await send("HEAD")).toEqual({ status: 200, allow: undefined, body: "" });
    expect(await send("DELETE")).toMatchObject({ status: 405, allow: "GET, HEAD" });
  });

  it("serves custom paths", async () => {
    const health = createHealth({ paths: { live: "/livez", ready: "/readyz/" } });
    health.markReady();
    const { url } = await serve(health);
    expect((await request(`${url}/livez`)).status).toBe(200);
    expect((await request(`${url}/readyz`)).status).toBe(200);
    expect((await request(`${url}/health/live`)).status).toBe(404);
  });

  it("answers 503 on /health/live when the event loop was blocked past maxEventLoopDelayMs", async () => {
    // Only the clock is fake: moving it on by 300 ms while the monitor's
    // interval (real, due every 20 ms) has not fired in between is exactly
    // what a loop stuck for 300 ms looks like to it.
    vi.useFakeTimers({ toFake: ["performance"] });
    const health = createHealth({ maxEventLoopDelayMs: 100 });
    const { url } = await serve(health);
    expect((await request(`${url}/health/live`)).status).toBe(200);
    vi.advanceTimersByTime(300);
    const blocked = await request(`${url}/health/live`);
    expect(blocked.status).toBe(503);
    expect(blocked.json.checks).toEqual({ server: "unhealthy" });
    expect(blocked.json.details.server.eventLoopDelayMs).toBe(280);
  });
});

describe("fetchHandler", () => {
  it("serves the routes to fetch-API frameworks, HEAD without a body, 405 for other methods", async () => {
    const health = createHealth({ checks: { database: () => true } });
    onTestFinished(() => health.close());
    const handler = health.fetchHandler();
    expect(health.fetchHandler()).toBe(handler);
    const ok = await handler(new Request("http://localhost/health"));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: "healthy", checks: { database: "healthy" } });
    const notReady = await handler(new Request("http://localhost/health/ready"));
    expect(notReady.status).toBe(503);
    const head = await handler(new Request("http://localhost/health/live", { method: "HEAD" }));
    expect([head.status, await head.text()]).toEqual([200, ""]);
    const post = await handler(new Request("http://localhost/health", { method: "POST" }));
    expect([post.status, post.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
    expect((await handler(new Request("http://localhost/metrics"))).status).toBe(404);
  });

  it("renders the IETF application/health+json format", async () => {
    const health = createHealth({
      format: "health+json",
      checks: {
        database: () => true,
        cache: {
          check: () => {
            throw new Error("down");
          },
          critical: false,
        },
      },
    });
    onTestFinished(() => health.close());
    const answer = await health.fetchHandler()(new Request("http://localhost/health"));
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/health+json");
    // biome-ignore lint/suspicious/noExplicitAny: the body is read field by field
    const body: any = await answer.json();
    expect(body.status).toBe("warn");
    expect(body.checks.database[0]).toMatchObject({
      componentId: "database",
      status: "pass",
      observedUnit: "ms",
    });
    expect(body.checks.cache[0]).toMatchObject({ status: "fail", output: "down" });
  });

  it("reports a figure a check measured as its observedValue, in both formats", async () => {
    const checks = {
      outbox: () => ({
        status: "degraded" as const,
        observedValue: 42,
        observedUnit: "notifications",
      }),
    };
    const ietf = createHealth({ format: "health+json", checks });
    const json = createHealth({ checks });
    onTestFinished(() => {
      ietf.close();
      json.close();
    });
    const ietfBody = await (
      await ietf.fetchHandler()(new Request("http://localhost/health"))
    ).json();
    expect(ietfBody.status).toBe("warn");
    expect(ietfBody.checks.outbox[0]).toMatchObject({
      status: "warn",
      observedValue: 42,
      observedUnit: "notifications",
    });
    const report = await json.check();
    expect(report.checks.outbox).toMatchObject({
      status: "degraded",
      reason: "reported",
      observedValue: 42,
      observedUnit: "notifications",
    });
    const jsonBody = await (
      await json.fetchHandler()(new Request("http://localhost/health"))
    ).json();
    expect(jsonBody.details.outbox).toMatchObject({
      observedValue: 42,
      observedUnit: "notifications",
    });
  });

  it("says fail with the readiness as output when not ready in health+json", async () => {
    const health = createHealth({ format: "health+json", checks: { database: () => true } });
    onTestFinished(() => health.close());
    const answer = await health.probe("ready");
    expect(answer.statusCode).toBe(503);
    expect(JSON.parse(answer.body)).toEqual({ status: "fail", output: "starting" });
  });
});

describe("check()", () => {
  it("reuses results for cacheMs and runs again after", async () => {
    vi.useFakeTimers();
    let runs = 0;
    const health = createHealth({ cacheMs: 1000, checks: { database: () => ++runs > 0 } });
    onTestFinished(() => health.close());
    await health.check();
    await health.check();
    expect(runs).toBe(1);
    vi.advanceTimersByTime(999);
    await health.check();
    expect(runs).toBe(1);
    vi.advanceTimersByTime(2);
    await health.check();
    expect(runs).toBe(2);
  });

  it("emits check results and status changes between runs", async () => {
    let up = true;
    const health = createHealth({ cacheMs: 0, checks: { database: () => up } });
    onTestFinished(() => health.close());
    const results: string[] = [];
    const changes: string[] = [];
    health.on("check", (result) => results.push(`${result.name}:${result.status}`));
    health.on("statusChange", ({ from, to }) => changes.push(`${from}->${to}`));
    await health.check();
    up = false;
    const report = await health.check();
    expect(report.status).toBe("unhealthy");
    expect(report.checks.database?.reason).toBe("reported");
    up = true;
    await health.check();
    expect(results).toEqual(["database:healthy", "database:unhealthy", "database:healthy"]);
    expect(changes).toEqual(["healthy->unhealthy", "unhealthy->healthy"]);
  });

  it("rejects with the signal's reason when the caller aborts, without cancelling the shared run", async () => {
    const gate = deferred();
    const health = createHealth({ checks: { database: () => gate.promise } });
    onTestFinished(() => health.close());
    const controller = new AbortController();
    const aborted = health.check({ signal: controller.signal });
    const shared = health.check();
    controller.abort(new Error("caller gave up"));
    await expect(aborted).rejects.toThrow("caller gave up");
    gate.resolve();
    expect((await shared).status).toBe("healthy");
  });
});

describe("options", () => {
  it("throws a TypeError naming the option", () => {
    expect(() => createHealth({ timeoutMs: -1 })).toThrow(
      new TypeError("Expected `timeoutMs` to be a positive finite number, got -1"),
    );
    expect(() => createHealth({ cacheMs: Number.NaN })).toThrow(/`cacheMs`/);
    // @ts-expect-error: an unknown format
    expect(() => createHealth({ format: "xml" })).toThrow(/`format`/);
    // @ts-expect-error: a check must be a function
    expect(() => createHealth({ checks: { database: 42 } })).toThrow(/`checks.database`/);
    expect(() => createHealth({ checks: { server: () => true } })).toThrow(/`server`/);
    expect(() => createHealth({ paths: { live: "live" } })).toThrow(/`paths.live`/);
    const health = createHealth();
    expect(() => health.gracefulShutdown({ drainMs: -5, exit: false })).toThrow(/`drainMs`/);
    expect(() => health.gracefulShutdown({ cleanup: ["x" as never], exit: false })).toThrow(
      /`cleanup\[0\]`/,
    );
    health.close();
  });
});
