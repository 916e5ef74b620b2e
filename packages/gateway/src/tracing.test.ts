import { registerTestSdk } from "@mcp-prod/testkit/otel";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { connectClient, startBackend, type TestBackend } from "./gateway.test-helpers.ts";
import { createGateway, type Gateway } from "./gateway.ts";

const sdk = registerTestSdk();
type ReadableSpan = ReturnType<typeof sdk.finished>[number];
afterEach(() => sdk.spans.reset());

const CLIENT_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN_ID = "00f067aa0ba902b7";
const TRACEPARENT = `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01`;

/** What reached the backend: the request's `_meta` and the backend session it came on. */
type Seen = { meta: Record<string, unknown>; sessionId?: string };

function echoing(server: McpServer): void {
  const seen = (extra: { _meta?: unknown; sessionId?: string | undefined }) =>
    JSON.stringify({ meta: extra._meta ?? {}, sessionId: extra.sessionId });
  server.registerTool(
    "search_users",
    { description: "Echoes what reached it", inputSchema: { query: z.string() } },
    async (_args, extra) => ({ content: [{ type: "text", text: seen(extra) }] }),
  );
  server.registerTool("broken", { description: "Answers isError" }, async () => ({
    content: [{ type: "text", text: "no such user" }],
    isError: true,
  }));
  server.registerTool("fail", { description: "Raises a JSON-RPC error" }, async () => {
    throw new McpError(-32042, "custom failure");
  });
  server.registerPrompt("greet", { argsSchema: { name: z.string() } }, (_args, extra) => ({
    messages: [{ role: "user", content: { type: "text", text: seen(extra) } }],
  }));
  server.registerResource("readme", "file:///readme.txt", {}, async (uri, extra) => ({
    contents: [{ uri: uri.href, text: seen(extra) }],
  }));
}

let gateway: Gateway;
const backends: Record<"stateful" | "stateless", TestBackend> = {} as never;

beforeAll(async () => {
  backends.stateful = await startBackend(echoing, { stateful: true });
  backends.stateless = await startBackend(echoing);
  gateway = await createGateway({
    port: 0,
    backends: [
      { prefix: "stateful", url: backends.stateful.url },
      { prefix: "stateless", url: backends.stateless.url },
    ],
  });
});
afterAll(async () => {
  await gateway?.close();
  await backends.stateful?.close();
  await backends.stateless?.close();
  await sdk.shutdown();
});

function only(name: string, kind: SpanKind): ReadableSpan {
  const spans = sdk.finished(name).filter((span) => span.kind === kind);
  expect(spans.map((span) => span.name)).toEqual([name]);
  return spans[0] as ReadableSpan;
}

function text(result: unknown): string {
  const record = result as {
    content?: Array<{ text?: string }>;
    messages?: Array<{ content: { text?: string } }>;
    contents?: Array<{ text?: string }>;
  };
  return (
    record.content?.[0]?.text ??
    record.messages?.[0]?.content.text ??
    record.contents?.[0]?.text ??
    ""
  );
}

/** The parent → SERVER → CLIENT chain of one request, and the traceparent of the CLIENT span. */
function assertChain(server: ReadableSpan, client: ReadableSpan, seen: Seen): void {
  expect(server.spanContext().traceId).toBe(CLIENT_TRACE_ID);
  expect(server.parentSpanContext?.spanId).toBe(CLIENT_SPAN_ID);
  expect(client.spanContext().traceId).toBe(CLIENT_TRACE_ID);
  expect(client.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
  expect(seen.meta.traceparent).toBe(`00-${CLIENT_TRACE_ID}-${client.spanContext().spanId}-01`);
  expect(seen.meta.tracestate).toBe("vendor=1");
  expect(seen.meta["app/request"]).toBe("kept");
}

const meta = { traceparent: TRACEPARENT, tracestate: "vendor=1", "app/request": "kept" };

// The stateful backend is called through the SDK client, the stateless one by the direct fast path.
describe.each(["stateful", "stateless"] as const)("a %s backend", (kind) => {
  let client: Client;
  beforeAll(async () => {
    client = await connectClient(gateway.url);
  });
  afterAll(() => client?.close());

  it("a tool call is one trace: the client's parent, the gateway's SERVER span, its CLIENT span, the backend", async () => {
    const result = await client.callTool({
      name: `${kind}.search_users`,
      arguments: { query: "ada" },
      _meta: meta,
    });
    const seen = JSON.parse(text(result)) as Seen;
    const server = only(`tools/call ${kind}.search_users`, SpanKind.SERVER);
    const forwarded = only("tools/call search_users", SpanKind.CLIENT);
    assertChain(server, forwarded, seen);
    expect(server.attributes).toMatchObject({
      "mcp.method.name": "tools/call",
      "gen_ai.tool.name": `${kind}.search_users`,
      "gen_ai.operation.name": "execute_tool",
      "mcp.session.id": (client.transport as { sessionId?: string }).sessionId,
      "network.transport": "tcp",
    });
    expect(server.attributes["jsonrpc.request.id"]).toEqual(expect.any(String));
    expect(server.attributes["error.type"]).toBeUndefined();
    expect(forwarded.attributes).toMatchObject({
      "mcp.method.name": "tools/call",
      "gen_ai.tool.name": "search_users",
      "gen_ai.operation.name": "execute_tool",
      "server.address": "127.0.0.1",
      "server.port": backends[kind].port,
      "network.transport": "tcp",
    });
    // The backend session, not the client's: only a backend with sessions has one.
    expect(forwarded.attributes["mcp.session.id"]).toBe(seen.sessionId);
    if (kind === "stateful") expect(seen.sessionId).toEqual(expect.any(String));
    expect(forwarded.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("an isError result marks both spans tool_error", async () => {
    const result = await client.callTool({ name: `${kind}.broken`, _meta: meta });
    expect(result.isError).toBe(true);
    for (const span of [
      only(`tools/call ${kind}.broken`, SpanKind.SERVER),
      only("tools/call broken", SpanKind.CLIENT),
    ]) {
      expect(span.attributes["error.type"]).toBe("tool_error");
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
    }
  });

  it("a backend's JSON-RPC error marks both spans with its code", async () => {
    await expect(client.callTool({ name: `${kind}.fail`, _meta: meta })).rejects.toMatchObject({
      code: -32042,
    });
    const server = only(`tools/call ${kind}.fail`, SpanKind.SERVER);
    const forwarded = only("tools/call fail", SpanKind.CLIENT);
    expect(server.attributes["error.type"]).toBe("-32042");
    expect(forwarded.attributes["error.type"]).toBe("-32042");
    expect(forwarded.attributes["rpc.response.status_code"]).toBe("-32042");
    expect(forwarded.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
  });

  it("prompts/get is traced the same way, under the prompt's client-visible name", async () => {
    const result = await client.getPrompt({
      name: `${kind}.greet`,
      arguments: { name: "Ada" },
      _meta: meta,
    });
    const server = only(`prompts/get ${kind}.greet`, SpanKind.SERVER);
    const forwarded = only("prompts/get greet", SpanKind.CLIENT);
    assertChain(server, forwarded, JSON.parse(text(result)) as Seen);
    expect(server.attributes["gen_ai.prompt.name"]).toBe(`${kind}.greet`);
    expect(forwarded.attributes["gen_ai.prompt.name"]).toBe("greet");
  });

  it("resources/read is traced the same way, the URI as an attribute", async () => {
    const result = await client.readResource({ uri: `${kind}+file:///readme.txt`, _meta: meta });
    const server = only("resources/read", SpanKind.SERVER);
    const forwarded = only("resources/read", SpanKind.CLIENT);
    assertChain(server, forwarded, JSON.parse(text(result)) as Seen);
    expect(server.attributes["mcp.resource.uri"]).toBe(`${kind}+file:///readme.txt`);
  });
});

describe("without a client trace context", () => {
  it("starts a new trace at the gateway and still hands the backend the CLIENT span's context", async () => {
    const client = await connectClient(gateway.url);
    onTestFinished(() => client.close());
    const result = await client.callTool({
      name: "stateless.search_users",
      arguments: { query: "ada" },
    });
    const seen = JSON.parse(text(result)) as Seen;
    const server = only("tools/call stateless.search_users", SpanKind.SERVER);
    const forwarded = only("tools/call search_users", SpanKind.CLIENT);
    expect(server.parentSpanContext).toBeUndefined();
    expect(forwarded.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(seen.meta.traceparent).toBe(
      `00-${forwarded.spanContext().traceId}-${forwarded.spanContext().spanId}-01`,
    );
  });

  it("records mcp.client.operation.duration per backend", async () => {
    const points = await sdk.points("mcp.client.operation.duration");
    const ports = points.map((point) => point.attributes["server.port"]);
    expect(ports).toContain(backends.stateful.port);
    expect(ports).toContain(backends.stateless.port);
  });
});
