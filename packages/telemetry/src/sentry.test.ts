import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { connectInMemory as connectPair } from "@mcp-prod/testkit";
import * as Sentry from "@sentry/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { sentryReporter } from "./sentry.ts";
import { newServer } from "./telemetry.test-helpers.ts";
import { createTelemetry } from "./telemetry.ts";

type SentryEvent = {
  tags?: Record<string, string>;
  extra?: Record<string, unknown>;
  environment?: string;
  exception?: { values?: Array<{ type?: string; value?: string }> };
};
type Envelope = {
  path: string;
  items: Array<{ header: Record<string, unknown>; payload: unknown }>;
};

// A Sentry ingestion endpoint of the test's own: records every envelope posted to it.
const envelopes: Envelope[] = [];
const ingest = createServer((request, response) => {
  readBody(request).then((body) => {
    const lines = body.split("\n").filter((line) => line.length > 0);
    const items: Envelope["items"] = [];
    for (let index = 1; index + 1 < lines.length; index += 2)
      items.push({
        header: JSON.parse(lines[index] ?? "{}"),
        payload: JSON.parse(lines[index + 1] ?? "null"),
      });
    envelopes.push({ path: request.url ?? "", items });
    response.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
});

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const raw = Buffer.concat(chunks);
      resolve(
        (request.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8"),
      );
    });
  });
}

beforeAll(async () => {
  await new Promise<void>((resolve) => ingest.listen(0, "127.0.0.1", resolve));
  const { port } = ingest.address() as AddressInfo;
  Sentry.init({
    dsn: `http://publickey@127.0.0.1:${port}/42`,
    environment: "test",
    defaultIntegrations: false,
    skipOpenTelemetrySetup: true,
  });
});

afterAll(async () => {
  await Sentry.close(2000);
  await new Promise((resolve) => ingest.close(resolve));
});

describe("sentryReporter with the real @sentry/node", () => {
  it("sends a thrown tool error to the DSN tagged with the tool, and nothing for an isError result", async () => {
    const telemetry = createTelemetry({
      serviceName: "analytics-mcp",
      onError: sentryReporter(Sentry),
    });
    const server = newServer();
    server.registerTool(
      "risky_tool",
      { inputSchema: { mode: z.string(), password: z.string() } },
      telemetry.wrap("risky_tool", async ({ mode }) => {
        if (mode === "throw") throw new Error("risky operation failed");
        return { content: [{ type: "text", text: "declined" }], isError: true };
      }),
    );
    const pair = await connectPair(server);
    await pair.client.callTool({
      name: "risky_tool",
      arguments: { mode: "return", password: "hunter2" },
    });
    await pair.client.callTool({
      name: "risky_tool",
      arguments: { mode: "throw", password: "hunter2" },
    });
    await pair.close();
    expect(await Sentry.flush(5000)).toBe(true);

    const events = envelopes
      .flatMap((envelope) => envelope.items)
      .filter((item) => item.header.type === "event")
      .map((item) => item.payload as SentryEvent);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event?.tags).toEqual({ tool: "risky_tool", service: "analytics-mcp" });
    expect(event?.environment).toBe("test");
    expect(event?.exception?.values?.[0]).toMatchObject({
      type: "Error",
      value: "risky operation failed",
    });
    expect(event?.extra).toEqual({ requestId: expect.any(Number) });
    // Arguments stay out of Sentry unless includeArgs is set.
    expect(JSON.stringify(envelopes)).not.toContain("hunter2");
    const url = new URL(envelopes[0]?.path ?? "", "http://127.0.0.1");
    expect(url.pathname).toBe("/api/42/envelope/");
    expect(url.searchParams.get("sentry_key")).toBe("publickey");
  });

  it("adds the arguments and extra tags when asked", async () => {
    envelopes.length = 0;
    const report = sentryReporter(Sentry, { includeArgs: true, tags: { region: "eu-west-1" } });
    report(new Error("with args"), {
      tool: "search_users",
      args: { query: "ada" },
      service: "svc",
      requestId: 3,
      sessionId: "s-1",
    });
    expect(await Sentry.flush(5000)).toBe(true);
    const event = envelopes
      .flatMap((envelope) => envelope.items)
      .find((item) => item.header.type === "event")?.payload as SentryEvent | undefined;
    expect(event?.tags).toEqual({ region: "eu-west-1", tool: "search_users", service: "svc" });
    expect(event?.extra).toEqual({ requestId: 3, sessionId: "s-1", args: { query: "ada" } });
  });

  it("validates its arguments", () => {
    expect(() => sentryReporter({} as never)).toThrow("`sentry`");
    expect(() => sentryReporter(Sentry, { includeArgs: "yes" as never })).toThrow("`includeArgs`");
  });
});
