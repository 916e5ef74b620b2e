import { connectInMemory as connectPair, waitFor } from "@mcp-prod/testkit";
import { Registry } from "prom-client";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { z } from "zod";
import type { ErrorContext } from "./error-reporter.ts";
import { TelemetryError } from "./errors.ts";
import { newServer, seriesValue } from "./telemetry.test-helpers.ts";
import { createTelemetry } from "./telemetry.ts";

async function setup(options: Partial<Parameters<typeof createTelemetry>[0]> = {}) {
  const reports: Array<{ error: unknown; context: ErrorContext }> = [];
  const started: string[] = [];
  const telemetry = createTelemetry({
    serviceName: "analytics-mcp",
    onError: (error, context) => {
      reports.push({ error, context });
    },
    ...options,
  });
  const server = newServer();
  server.registerTool(
    "search_users",
    { inputSchema: { query: z.string() } },
    telemetry.wrap("search_users", async ({ query }) => {
      if (query === "boom") throw new Error("database down");
      if (query === "invalid")
        return { content: [{ type: "text", text: "bad query" }], isError: true };
      return { content: [{ type: "text", text: `found ${query}` }] };
    }),
  );
  server.registerTool(
    "slow_report",
    { inputSchema: { ms: z.number() } },
    telemetry.wrap(
      "slow_report",
      ({ ms }, { signal }) =>
        new Promise((resolve, reject) => {
          started.push("slow_report");
          const timer = setTimeout(
            () => resolve({ content: [{ type: "text", text: "done" }] }),
            ms,
          );
          signal.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(signal.reason);
          });
        }),
    ),
  );
  server.registerTool(
    "hang",
    {},
    telemetry.wrap("hang", () => {
      started.push("hang");
      return new Promise<never>(() => {});
    }),
  );
  server.registerTool(
    "ping",
    {},
    telemetry.wrap("ping", () => ({ content: [{ type: "text", text: "pong" }] })),
  );
  const pair = await connectPair(server);
  onTestFinished(() => pair.close());
  onTestFinished(() => telemetry.close());
  return { telemetry, client: pair.client, reports, started, registry: telemetry.registry };
}

describe("telemetry.wrap through a real McpServer and Client", () => {
  it("counts a successful call as success and observes its duration", async () => {
    // The clock the duration is read from is the fake one: the handler takes exactly 20 ms of it.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const { client, registry } = await setup();
    const call = client.callTool({ name: "slow_report", arguments: { ms: 20 } });
    await vi.advanceTimersByTimeAsync(20);
    const result = await call;
    expect(result.content).toEqual([{ type: "text", text: "done" }]);
    expect(
      await seriesValue(registry, "mcp_tool_calls_total", {
        tool: "slow_report",
        status: "success",
      }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_tool_duration_seconds_count", { tool: "slow_report" }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_tool_duration_seconds_sum", { tool: "slow_report" }),
    ).toBeCloseTo(0.02, 9);
    expect(
      await seriesValue(registry, "mcp_tool_duration_seconds_bucket", {
        tool: "slow_report",
        le: "0.01",
      }),
    ).toBe(0);
    expect(
      await seriesValue(registry, "mcp_tool_duration_seconds_bucket", {
        tool: "slow_report",
        le: "0.05",
      }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_tool_duration_seconds_bucket", {
        tool: "slow_report",
        le: "+Inf",
      }),
    ).toBe(1);
  });

  it("counts a thrown error as error, passes it on to the client and reports it to onError", async () => {
    const { client, registry, reports } = await setup();
    const result = await client.callTool({ name: "search_users", arguments: { query: "boom" } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain("database down");
    expect(
      await seriesValue(registry, "mcp_tool_calls_total", {
        tool: "search_users",
        status: "error",
      }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_tool_calls_total", {
        tool: "search_users",
        status: "success",
      }),
    ).toBe(0);
    expect(reports).toHaveLength(1);
    expect(reports[0]?.error).toEqual(new Error("database down"));
    expect(reports[0]?.context).toMatchObject({
      tool: "search_users",
      args: { query: "boom" },
      service: "analytics-mcp",
    });
    expect(reports[0]?.context.requestId).toEqual(expect.anything());
  });

  it("counts an isError result as error without reporting it to onError", async () => {
    const { client, registry, reports } = await setup();
    const result = await client.callTool({ name: "search_users", arguments: { query: "invalid" } });
    expect(result).toMatchObject({ isError: true, content: [{ type: "text", text: "bad query" }] });
    expect(
      await seriesValue(registry, "mcp_tool_calls_total", {
        tool: "search_users",
        status: "error",
      }),
    ).toBe(1);
    expect(reports).toEqual([]);
  });

  it("counts a rate limiter's refusal as limited and an open breaker's as rejected, not error", async () => {
    const telemetry = createTelemetry({ serviceName: "gateway", registry: new Registry() });
    const refusals = {
      limited: { "mcp-prod/ratelimit": { limited: true, retryAfterMs: 1000 } },
      rejected: { "mcp-prod/breaker": { open: true, retryAfterMs: 1000 } },
    };
    for (const [status, _meta] of Object.entries(refusals)) {
      const handler = telemetry.wrap(status, async (_args: unknown, _extra: unknown) => ({
        content: [{ type: "text" as const, text: "refused" }],
        isError: true,
        _meta,
      }));
      await handler({}, { signal: new AbortController().signal });
      expect(
        await seriesValue(telemetry.registry, "mcp_tool_calls_total", { tool: status, status }),
      ).toBe(1);
      expect(
        await seriesValue(telemetry.registry, "mcp_tool_calls_total", {
          tool: status,
          status: "error",
        }),
      ).toBe(0);
    }
  });

  it("counts a client cancellation as cancelled, not error, and reports nothing", async () => {
    const { client, registry, reports, started } = await setup();
    const controller = new AbortController();
    const pending = client.callTool({ name: "slow_report", arguments: { ms: 60_000 } }, undefined, {
      signal: controller.signal,
    });
    await waitFor(() => started.includes("slow_report"), { what: "the handler to start" });
    controller.abort(new Error("user closed the dialog"));
    await expect(pending).rejects.toThrow();
    await waitFor(
      async () =>
        (await seriesValue(registry, "mcp_tool_calls_total", {
          tool: "slow_report",
          status: "cancelled",
        })) === 1,
      { what: "the cancelled count" },
    );
    expect(
      await seriesValue(registry, "mcp_tool_calls_total", { tool: "slow_report", status: "error" }),
    ).toBe(0);
    expect(
      await seriesValue(registry, "mcp_tool_duration_seconds_count", { tool: "slow_report" }),
    ).toBe(1);
    expect(reports).toEqual([]);
  });

  it("counts the cancellation of a handler that never settles when the client cancels", async () => {
    const { client, registry, started } = await setup();
    const controller = new AbortController();
    const pending = client.callTool({ name: "hang" }, undefined, { signal: controller.signal });
    await waitFor(() => started.includes("hang"), { what: "the handler to start" });
    controller.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(
      async () =>
        (await seriesValue(registry, "mcp_tool_calls_total", {
          tool: "hang",
          status: "cancelled",
        })) === 1,
      { what: "the cancelled count" },
    );
  });

  it("wraps a synchronous handler of a tool without input schema and keeps its result", async () => {
    const { client, registry } = await setup();
    expect((await client.callTool({ name: "ping" })).content).toEqual([
      { type: "text", text: "pong" },
    ]);
    expect((await client.callTool({ name: "ping" })).content).toEqual([
      { type: "text", text: "pong" },
    ]);
    expect(
      await seriesValue(registry, "mcp_tool_calls_total", { tool: "ping", status: "success" }),
    ).toBe(2);
  });

  it("shows every wrapped tool at 0 for each status before its first call", async () => {
    const { registry } = await setup();
    for (const status of ["success", "error", "cancelled", "limited", "rejected"])
      expect(await seriesValue(registry, "mcp_tool_calls_total", { tool: "ping", status })).toBe(0);
  });

  it("uses configured buckets", async () => {
    const { client, registry } = await setup({ buckets: [0.5, 2] });
    await client.callTool({ name: "ping" });
    expect(
      await seriesValue(registry, "mcp_tool_duration_seconds_bucket", { tool: "ping", le: "0.5" }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_tool_duration_seconds_bucket", { tool: "ping", le: "0.05" }),
    ).toBeUndefined();
  });
});

describe("createTelemetry", () => {
  it("returns the handler itself when disabled, and records nothing", async () => {
    const telemetry = createTelemetry({ serviceName: "svc", enabled: false });
    const handler = () => ({ content: [] });
    expect(telemetry.wrap("tool", handler)).toBe(handler);
    expect(
      await seriesValue(telemetry.registry, "mcp_tool_calls_total", {
        tool: "tool",
        status: "success",
      }),
    ).toBeUndefined();
  });

  it("passes arguments, `this` and the very result object through unchanged", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    const seen: unknown[] = [];
    const result = { content: [], _meta: { "mcp-prod/cache": { hit: true } } };
    const wrapped = telemetry.wrap("tool", function (this: unknown, ...params: unknown[]) {
      seen.push(this, ...params);
      return result;
    });
    const self = { name: "self" };
    const args = { a: 1 };
    const extra = { requestId: 7 };
    expect(await wrapped.call(self, args, extra)).toBe(result);
    expect(seen[0]).toBe(self);
    expect(seen[1]).toBe(args);
    expect(seen[2]).toBe(extra);
    expect(result._meta).toEqual({ "mcp-prod/cache": { hit: true } });
  });

  it("never lets a failing onError reach the call: the handler's own error still propagates", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    onTestFinished(() => {
      process.off("warning", onWarning);
    });
    const telemetry = createTelemetry({
      serviceName: "svc",
      onError: () => {
        throw new Error("reporter broke");
      },
    });
    const wrapped = telemetry.wrap("tool", async (_args: object, _extra: object) => {
      throw new Error("handler broke");
    });
    await expect(wrapped({}, {})).rejects.toThrow("handler broke");
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.map(({ name, message }) => `${name}: ${message}`)).toContain(
      "McpProdTelemetryWarning: reporter broke",
    );
  });

  it("registers the default process metrics only when asked", async () => {
    const without = createTelemetry({ serviceName: "svc" });
    expect(await without.metrics()).not.toContain("process_cpu_user_seconds_total");
    const withDefaults = createTelemetry({ serviceName: "svc", defaultMetrics: true });
    expect(await withDefaults.metrics()).toContain("process_cpu_user_seconds_total");
  });

  it("uses the registry it is given and refuses a second telemetry on it with EMETRICCONFLICT", () => {
    const registry = new Registry();
    const telemetry = createTelemetry({ serviceName: "svc", registry });
    expect(telemetry.registry).toBe(registry);
    expect(registry.getSingleMetric("mcp_tool_calls_total")).toBeDefined();
    let caught: unknown;
    try {
      createTelemetry({ serviceName: "svc", registry });
    } catch (error) {
      caught = error;
    }
    expect(TelemetryError.isInstance(caught)).toBe(true);
    expect((caught as TelemetryError).code).toBe("EMETRICCONFLICT");
  });

  it("validates every option with a TypeError naming it", () => {
    const bad = (options: object) => () =>
      createTelemetry({ serviceName: "svc", ...options } as never);
    expect(() => createTelemetry({ serviceName: "" })).toThrow(
      new TypeError('Expected `serviceName` to be a non-empty string, got ""'),
    );
    expect(bad({ onError: "sentry" })).toThrow("`onError`");
    expect(bad({ enabled: "yes" })).toThrow("`enabled`");
    expect(bad({ buckets: [1, 0.5] })).toThrow("`buckets`");
    expect(bad({ buckets: [] })).toThrow("`buckets`");
    expect(bad({ logLevel: "loud" })).toThrow("`logLevel`");
    expect(bad({ registry: {} })).toThrow("`registry`");
    expect(bad({ logger: console })).toThrow("`logger`");
    expect(bad({ redact: "password" })).toThrow("`redact`");
    const telemetry = createTelemetry({ serviceName: "svc" });
    expect(() => telemetry.wrap("", () => ({}))).toThrow("`tool`");
    expect(() => telemetry.wrap("tool", "handler" as never)).toThrow("`handler`");
  });
});
