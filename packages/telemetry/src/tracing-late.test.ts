import { registerTestSdk } from "@mcp-prod/testkit/otel";
import { afterAll, describe, expect, it } from "vitest";
import { createTelemetry } from "./index.ts";

describe("an OpenTelemetry SDK registered after the tools were wrapped", () => {
  const telemetry = createTelemetry({ serviceName: "late" });
  const search = telemetry.wrap("search", async (_args: object, _extra: object) => ({
    content: [],
  }));
  let sdk: ReturnType<typeof registerTestSdk> | undefined;
  afterAll(() => sdk?.shutdown());

  it("is picked up by spans and metrics from the next call on", async () => {
    await search({}, {});
    sdk = registerTestSdk();
    await search({}, {});
    expect(sdk.finished("tools/call search")).toHaveLength(1);
    const [point] = await sdk.points("mcp.server.operation.duration");
    expect((point?.value as { count: number } | undefined)?.count).toBe(1);
    expect(await telemetry.metrics()).toContain(
      'mcp_tool_calls_total{tool="search",status="success"} 2',
    );
  });
});
