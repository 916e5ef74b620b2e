import { createMemoryStore, withIdempotency } from "@mcp-prod/idempotency";
import { connectInMemory } from "@mcp-prod/testkit";
import { registerTestSdk } from "@mcp-prod/testkit/otel";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { compose, createTelemetry, withTelemetry } from "./index.ts";
import { newServer, seriesValue } from "./telemetry.test-helpers.ts";

const sdk = registerTestSdk();
afterAll(() => sdk.shutdown());

// The real @mcp-prod/idempotency, observed only through its result `_meta` and
// the structural store contract: telemetry imports none of it.
describe("observing a real @mcp-prod/idempotency store", () => {
  it('counts a replayed duplicate as status="replayed", with its store event on the metric and the span', async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    onTestFinished(() => telemetry.close());
    const store = createMemoryStore({ name: "notifications" });
    onTestFinished(() => store.close());
    telemetry.observeIdempotency(store);
    let sent = 0;
    const server = newServer();
    server.registerTool(
      "send",
      { inputSchema: { to: z.string() } },
      compose(
        "send",
        async ({ to }: { to: string }) => {
          sent += 1;
          return { content: [{ type: "text" as const, text: `sent to ${to}` }] };
        },
        withTelemetry({ telemetry }),
        withIdempotency({ store }),
      ),
    );
    const { client, close } = await connectInMemory(server);
    onTestFinished(close);
    const call = {
      name: "send",
      arguments: { to: "ada" },
      _meta: { "mcp-prod/idempotency-key": "k1" },
    };
    await client.callTool(call);
    await client.callTool(call);
    const { registry } = telemetry;
    expect(sent).toBe(1);
    expect(
      await seriesValue(registry, "mcp_tool_calls_total", { tool: "send", status: "success" }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_tool_calls_total", { tool: "send", status: "replayed" }),
    ).toBe(1);
    expect(
      await seriesValue(registry, "mcp_idempotency_events_total", {
        store: "notifications",
        tool: "send",
        event: "replayed",
      }),
    ).toBe(1);
    const spans = sdk.finished().filter((span) => span.name === "tools/call send");
    expect(spans).toHaveLength(2);
    const replayed = spans[1];
    expect(replayed?.attributes["mcp_prod.idempotency.replayed"]).toBe(true);
    expect(replayed?.events.map((event) => event.name)).toContain("mcp_prod.idempotency.replayed");
    expect(spans[0]?.attributes["mcp_prod.idempotency.replayed"]).toBeUndefined();
  });
});
