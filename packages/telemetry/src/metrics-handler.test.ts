import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { connectInMemory as connectPair } from "@mcp-prod/testkit";
import { describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { newServer, parseExposition, sampleValue } from "./telemetry.test-helpers.ts";
import { createTelemetry } from "./telemetry.ts";

async function listen(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("telemetry.metricsHandler over real HTTP", () => {
  it("serves the tool metrics as Prometheus text that parses strictly, with the registry's content type", async () => {
    const telemetry = createTelemetry({ serviceName: "analytics-mcp" });
    const mcp = newServer();
    mcp.registerTool(
      "search_users",
      { inputSchema: { query: z.string() } },
      telemetry.wrap("search_users", async ({ query }) => {
        if (query === "boom") throw new Error("db down");
        return { content: [{ type: "text", text: query }] };
      }),
    );
    const pair = await connectPair(mcp);
    await pair.client.callTool({ name: "search_users", arguments: { query: "a" } });
    await pair.client.callTool({ name: "search_users", arguments: { query: "b" } });
    await pair.client.callTool({ name: "search_users", arguments: { query: "boom" } });
    await pair.close();

    const base = await listen(telemetry.metricsHandler());
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(telemetry.registry.contentType);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const families = parseExposition(await response.text());
    expect(families.get("mcp_tool_calls_total")).toMatchObject({
      type: "counter",
      help: "Total tool calls",
    });
    expect(families.get("mcp_tool_duration_seconds")?.type).toBe("histogram");
    expect(
      sampleValue(families, "mcp_tool_calls_total", { tool: "search_users", status: "success" }),
    ).toBe(2);
    expect(
      sampleValue(families, "mcp_tool_calls_total", { tool: "search_users", status: "error" }),
    ).toBe(1);
    expect(sampleValue(families, "mcp_tool_duration_seconds_count", { tool: "search_users" })).toBe(
      3,
    );
    const buckets = families
      .get("mcp_tool_duration_seconds")
      ?.samples.filter((sample) => sample.name.endsWith("_bucket"))
      .map((sample) => sample.labels.le);
    expect(buckets).toEqual(["0.01", "0.05", "0.1", "0.5", "1", "5", "+Inf"]);
  });

  it("answers 404 on other paths, 405 on other methods, and HEAD without a body", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    const base = await listen(telemetry.metricsHandler());
    expect((await fetch(`${base}/`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const head = await fetch(`${base}/metrics`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect((await fetch(`${base}/metrics?debug=1`)).status).toBe(200);
  });

  it("serves a custom path and hands other paths to next() as middleware", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    const handler = telemetry.metricsHandler({ path: "/internal/metrics" });
    const base = await listen((request, response) =>
      handler(request, response, () => {
        response.statusCode = 200;
        response.end("app route");
      }),
    );
    expect((await fetch(`${base}/internal/metrics`)).headers.get("content-type")).toContain(
      "version=0.0.4",
    );
    expect(await (await fetch(`${base}/users`)).text()).toBe("app route");
  });

  it("answers 500 when a collector fails instead of serving half an exposition", async () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    telemetry.registry.registerMetric({
      name: "broken_metric",
      help: "always fails",
      type: "gauge",
      get: () => Promise.reject(new Error("collector failed")),
      reset: () => {},
      aggregator: "sum",
    } as never);
    const base = await listen(telemetry.metricsHandler());
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe("Metrics collection failed\n");
  });

  it("validates its path option", () => {
    const telemetry = createTelemetry({ serviceName: "svc" });
    expect(() => telemetry.metricsHandler({ path: "metrics" })).toThrow("`path`");
  });
});
