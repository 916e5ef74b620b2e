import {
  Client as Client2,
  InMemoryTransport as InMemoryTransport2,
} from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpServer as McpServer2 } from "@modelcontextprotocol/server";
import { describe, expect, it, onTestFinished } from "vitest";
import { type CallContext, readCallContext, readRequestHeader, readToolCall } from "./index.ts";

const authInfo = { token: "secret-token", clientId: "alice", scopes: ["tools:call"] };

type Transport = { send(message: never, options?: never): Promise<void> };

/** Makes a client transport send `authInfo` with each message, as an HTTP transport does after verifying a token. */
function authenticated<T extends Transport>(transport: T): T {
  const send = transport.send.bind(transport) as (
    message: unknown,
    options?: object,
  ) => Promise<void>;
  (transport as { send: unknown }).send = (message: unknown, options?: object) =>
    send(message, { ...options, authInfo });
  return transport;
}

async function readOnSdk1(): Promise<{ context: CallContext; signal: AbortSignal | undefined }> {
  let seen: { context: CallContext; signal: AbortSignal | undefined } | undefined;
  const server = new McpServer({ name: "context-test", version: "1.0.0" });
  server.registerTool("probe", {}, (extra) => {
    seen = { context: readCallContext(extra), signal: readToolCall([extra]).signal };
    return { content: [] };
  });
  const [clientEnd, serverEnd] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "test-client", version: "1.0.0" });
  await Promise.all([server.connect(serverEnd), client.connect(authenticated(clientEnd))]);
  onTestFinished(async () => {
    await client.close();
    await server.close();
  });
  await client.callTool({ name: "probe", _meta: { traceparent: "00-abc-def-01" } });
  return seen as NonNullable<typeof seen>;
}

async function readOnSdk2(): Promise<{ context: CallContext; signal: AbortSignal | undefined }> {
  let seen: { context: CallContext; signal: AbortSignal | undefined } | undefined;
  const server = new McpServer2({ name: "context-test", version: "1.0.0" });
  server.registerTool("probe", {}, (ctx) => {
    seen = { context: readCallContext(ctx), signal: readToolCall([ctx]).signal };
    return { content: [] };
  });
  const [clientEnd, serverEnd] = InMemoryTransport2.createLinkedPair();
  const client = new Client2({ name: "test-client", version: "1.0.0" });
  await Promise.all([server.connect(serverEnd), client.connect(authenticated(clientEnd))]);
  onTestFinished(async () => {
    await client.close();
    await server.close();
  });
  await client.callTool({ name: "probe", _meta: { traceparent: "00-abc-def-01" } });
  return seen as NonNullable<typeof seen>;
}

describe("readCallContext", () => {
  it.each([
    ["SDK 1.x extra", readOnSdk1],
    ["SDK 2.x ctx", readOnSdk2],
  ])(
    "reads the request id, the client, its scopes, _meta and the signal from the %s",
    async (_name, read) => {
      const { context, signal } = await read();
      expect(typeof context.requestId).toBe("number");
      expect(context.clientId).toBe("alice");
      expect(context.scopes).toEqual(["tools:call"]);
      expect(context.meta).toMatchObject({ traceparent: "00-abc-def-01" });
      expect(context.sessionId).toBeUndefined();
      expect(signal).toBeInstanceOf(AbortSignal);
      expect(JSON.stringify(context)).not.toContain("secret-token");
    },
  );

  it("reads nothing from a missing context, and a session id and HTTP from a context that has them", () => {
    expect(readCallContext(undefined)).toMatchObject({ requestId: undefined, http: false });
    expect(readCallContext({ sessionId: "s-1", requestInfo: { headers: {} } })).toMatchObject({
      sessionId: "s-1",
      http: true,
    });
    expect(readCallContext({ mcpReq: { id: "r-1" }, http: {} })).toMatchObject({
      requestId: "r-1",
      http: true,
    });
  });
});

describe("readRequestHeader", () => {
  it("reads a header from SDK 1.x's requestInfo and SDK 2.x's Request", () => {
    const v1 = {
      requestInfo: { headers: { "mcp-protocol-version": "2025-06-18", "x-id": ["a", "b"] } },
    };
    expect(readRequestHeader(v1, "mcp-protocol-version")).toBe("2025-06-18");
    expect(readRequestHeader(v1, "x-id")).toBe("a");
    const v2 = {
      http: {
        req: new Request("http://localhost/mcp", {
          headers: { "Mcp-Protocol-Version": "2025-11-25" },
        }),
      },
    };
    expect(readRequestHeader(v2, "mcp-protocol-version")).toBe("2025-11-25");
    expect(readRequestHeader({}, "mcp-protocol-version")).toBeUndefined();
  });
});
