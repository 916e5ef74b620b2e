import { trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { createTelemetry, injectTraceContext, traceClientCall, traceTool } from "./index.ts";

// No OpenTelemetry SDK is registered in this file: the application that has none.
describe("without an OpenTelemetry SDK", () => {
  it("calls the handler as if unwrapped: same this, parameters and returned value", () => {
    const returned = Promise.resolve({ content: [] });
    let seen: unknown[] = [];
    let self: unknown;
    const handler = function (this: unknown, ...params: unknown[]) {
      self = this;
      seen = params;
      return returned;
    };
    const traced = traceTool("search", handler as never) as unknown as (
      this: unknown,
      ...params: unknown[]
    ) => unknown;
    const receiver = { server: true };
    const extra = {
      requestId: 1,
      _meta: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
    };
    expect(traced.call(receiver, { query: "ada" }, extra)).toBe(returned);
    expect(self).toBe(receiver);
    expect(seen).toEqual([{ query: "ada" }, extra]);
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it("forwards _meta untouched", async () => {
    const meta = { progressToken: 1 };
    expect(injectTraceContext(meta)).toBe(meta);
    let forwarded: unknown;
    await traceClientCall({ method: "tools/call", target: "search", meta }, async (given) => {
      forwarded = given;
      return { content: [] };
    });
    expect(forwarded).toBe(meta);
  });

  it("still counts calls in prom-client through telemetry.wrap", async () => {
    const telemetry = createTelemetry({ serviceName: "off" });
    const wrapped = telemetry.wrap("search", async (_args: object, _extra: object) => ({
      content: [],
    }));
    await wrapped({}, {});
    expect(await telemetry.metrics()).toContain(
      'mcp_tool_calls_total{tool="search",status="success"} 1',
    );
  });
});
