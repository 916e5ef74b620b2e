import { connectInMemory2, connectInMemory as connectPair } from "@mcp-prod/testkit";
import { McpServer as McpServer2 } from "@modelcontextprotocol/server";
import { pino } from "pino";
import { describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { createLogger, REDACTED } from "./logger.ts";
import { captureLines, newServer } from "./telemetry.test-helpers.ts";
import { createTelemetry } from "./telemetry.ts";

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe("tool_called log lines", () => {
  it("writes one line per call in the tool_called schema with an ISO timestamp and the level label", async () => {
    const { stream, lines } = captureLines();
    const telemetry = createTelemetry({
      serviceName: "analytics-mcp",
      logger: createLogger({ destination: stream }),
    });
    const server = newServer();
    server.registerTool(
      "search_users",
      { inputSchema: { query: z.string(), password: z.string() } },
      telemetry.wrap("search_users", async ({ query }) => {
        if (query === "boom") throw new Error("database down");
        return { content: [{ type: "text", text: "ok" }] };
      }),
    );
    const pair = await connectPair(server);
    await pair.client.callTool({
      name: "search_users",
      arguments: { query: "ada", password: "hunter2" },
    });
    await pair.client.callTool({
      name: "search_users",
      arguments: { query: "boom", password: "hunter2" },
    });
    await pair.close();

    expect(lines).toHaveLength(2);
    const [success, failure] = lines;
    expect(success).toEqual({
      level: "info",
      time: expect.stringMatching(ISO_TIME),
      pid: process.pid,
      hostname: expect.any(String),
      service: "analytics-mcp",
      event: "tool_called",
      tool: "search_users",
      status: "success",
      duration: expect.any(Number),
      requestId: expect.any(Number),
      msg: "Tool execution completed",
    });
    expect(success?.duration).toBeGreaterThanOrEqual(0);
    expect(failure).toMatchObject({
      level: "error",
      event: "tool_called",
      status: "error",
      err: { type: "Error", message: "database down" },
      msg: "Tool execution failed",
    });
    // Arguments are not logged unless asked.
    expect(JSON.stringify(lines)).not.toContain("hunter2");
    expect(JSON.stringify(lines)).not.toContain("ada");
  });

  it("logs the session and the authenticated client when the transport provides them", async () => {
    const { stream, lines } = captureLines();
    const telemetry = createTelemetry({
      serviceName: "svc",
      logger: createLogger({ destination: stream }),
    });
    const handler = telemetry.wrap("whoami", (_args: object, _extra: object) => ({ content: [] }));
    await handler(
      {},
      {
        requestId: "req-7",
        sessionId: "sess-1",
        authInfo: { clientId: "acme-dashboard", token: "bearer-secret", scopes: [] },
        signal: new AbortController().signal,
      },
    );
    expect(lines[0]).toMatchObject({
      requestId: "req-7",
      sessionId: "sess-1",
      clientId: "acme-dashboard",
    });
    expect(JSON.stringify(lines)).not.toContain("bearer-secret");
  });

  it("keeps the authenticated client and the request id on SDK 2.x, where they sit at ctx.http.authInfo and ctx.mcpReq.id", async () => {
    const { stream, lines } = captureLines();
    const telemetry = createTelemetry({
      serviceName: "svc",
      logger: createLogger({ destination: stream }),
    });
    const server = new McpServer2({ name: "telemetry-test-server", version: "1.0.0" });
    server.registerTool(
      "whoami",
      {},
      telemetry.wrap("whoami", async () => ({ content: [{ type: "text", text: "ok" }] })),
    );
    const { client, close } = await connectInMemory2(server, {
      authInfo: { token: "bearer-secret", clientId: "acme-dashboard", scopes: ["tools:call"] },
    });
    onTestFinished(close);
    await client.callTool({ name: "whoami" });
    expect(lines).toMatchObject([
      {
        event: "tool_called",
        tool: "whoami",
        status: "success",
        requestId: expect.any(Number),
        clientId: "acme-dashboard",
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain("bearer-secret");
  });

  it("reads an SDK 2.x ctx: the request id from ctx.mcpReq.id, cancellation from ctx.mcpReq.signal", async () => {
    const { stream, lines } = captureLines();
    const telemetry = createTelemetry({
      serviceName: "svc",
      logger: createLogger({ destination: stream }),
    });
    const controller = new AbortController();
    const handler = telemetry.wrap(
      "report",
      (_args: object, ctx: { mcpReq: { id: number; signal: AbortSignal } }) =>
        new Promise((_resolve, reject) => {
          ctx.mcpReq.signal.addEventListener("abort", () => reject(ctx.mcpReq.signal.reason));
        }),
    );
    const pending = handler({}, { mcpReq: { id: 9, signal: controller.signal } });
    controller.abort(new Error("cancelled by client"));
    await expect(pending).rejects.toThrow("cancelled by client");
    expect(lines).toMatchObject([
      { event: "tool_called", tool: "report", status: "cancelled", requestId: 9, level: "info" },
    ]);
    expect(lines[0]).not.toHaveProperty("err");
  });

  it("logs arguments only when asked, with secrets and configured fields redacted", async () => {
    const { stream, lines } = captureLines();
    const telemetry = createTelemetry({
      serviceName: "svc",
      logger: createLogger({ destination: stream }),
      logArgs: true,
      redact: ["email", "card.number"],
    });
    const handler = telemetry.wrap("signup", (_args: object, _extra: object) => ({ content: [] }));
    await handler(
      {
        name: "Ada",
        email: "ada@example.com",
        password: "hunter2",
        apiKey: "sk-live-123",
        auth: { token: "tok-456", scheme: "bearer" },
        card: { number: "4111111111111111", brand: "visa" },
      },
      { requestId: 1 },
    );
    expect(lines[0]?.args).toEqual({
      name: "Ada",
      email: REDACTED,
      password: REDACTED,
      apiKey: REDACTED,
      auth: { token: REDACTED, scheme: "bearer" },
      card: { number: REDACTED, brand: "visa" },
    });
    const text = JSON.stringify(lines);
    for (const secret of [
      "ada@example.com",
      "hunter2",
      "sk-live-123",
      "tok-456",
      "4111111111111111",
    ])
      expect(text).not.toContain(secret);
  });

  it("takes its level from configuration: a warn logger drops success lines and keeps failures", async () => {
    const { stream, lines } = captureLines();
    const telemetry = createTelemetry({
      serviceName: "svc",
      logger: createLogger({ level: "warn", destination: stream }),
    });
    const ok = telemetry.wrap("ok", (_extra: object) => ({ content: [] }));
    const failing = telemetry.wrap("failing", (_extra: object) => ({ content: [], isError: true }));
    await ok({});
    await failing({});
    expect(lines.map((line) => [line.tool, line.status, line.level])).toEqual([
      ["failing", "error", "error"],
    ]);
  });

  it("writes at the configured call levels into any pino logger the server already has", async () => {
    const { stream, lines } = captureLines();
    const telemetry = createTelemetry({
      serviceName: "svc",
      logger: pino({ level: "debug" }, stream),
      logLevel: "debug",
      errorLogLevel: "warn",
    });
    await telemetry.wrap("ok", (_extra: object) => ({ content: [] }))({});
    await telemetry.wrap("bad", (_extra: object) => ({ content: [], isError: true }))({});
    expect(lines.map((line) => [line.tool, line.level])).toEqual([
      ["ok", 20],
      ["bad", 40],
    ]);
  });

  it("validates createLogger's options", () => {
    expect(() => createLogger({ level: "" })).toThrow("`level`");
    expect(() => createLogger({ redact: "password" as never })).toThrow("`redact`");
  });
});
