import { describe, expect, it } from "vitest";
import { createTelemetry, TelemetryError } from "./index.ts";

describe("close()", () => {
  it("refuses new work with ETELEMETRYCLOSED and keeps the metrics readable", async () => {
    const telemetry = createTelemetry({ serviceName: "s" });
    const handler = telemetry.wrap("report", async () => ({ content: [] }));
    await (handler as (...params: unknown[]) => Promise<unknown>)({}, {});
    telemetry.close();
    const closed = new TelemetryError(
      "ETELEMETRYCLOSED",
      "This telemetry was closed: create a new one with createTelemetry()",
    );
    expect(() => telemetry.wrap("other", async () => ({ content: [] }))).toThrow(closed);
    expect(() => telemetry.observeCache({ name: "c", on: () => () => {} } as never)).toThrow(
      closed,
    );
    expect(() => telemetry.metricsHandler()).toThrow(closed);
    expect(await telemetry.metrics()).toContain(
      'mcp_tool_calls_total{tool="report",status="success"} 1',
    );
  });
});
