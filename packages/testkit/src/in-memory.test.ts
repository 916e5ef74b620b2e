import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpServer as McpServer2 } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { connectInMemory, connectInMemory2, deferred } from "./index.ts";
import { testToolWrapper } from "./tool-wrapper.ts";

const pong = async () => ({ content: [{ type: "text" as const, text: "pong" }] });

describe("connectInMemory", () => {
  it("connects an SDK 1.x client that calls the server's tools until closed", async () => {
    const server = new McpServer({ name: "s", version: "1.0.0" });
    server.registerTool("ping", {}, pong);
    const { client, close } = await connectInMemory(server);
    expect(await client.callTool({ name: "ping" })).toMatchObject({
      content: [{ type: "text", text: "pong" }],
    });
    await close();
    expect(server.isConnected()).toBe(false);
  });

  it("connects an SDK 2.x client the same way with connectInMemory2", async () => {
    const server = new McpServer2({ name: "s", version: "2.0.0" });
    server.registerTool("ping", {}, pong);
    const { client, close } = await connectInMemory2(server);
    expect(await client.callTool({ name: "ping" })).toMatchObject({
      content: [{ type: "text", text: "pong" }],
    });
    await close();
    expect(server.isConnected()).toBe(false);
  });
});

describe("deferred", () => {
  it("settles its promise from outside, with a value or a reason", async () => {
    const resolved = deferred<number>();
    resolved.resolve(7);
    expect(await resolved.promise).toBe(7);
    const rejected = deferred();
    rejected.reject(new Error("no"));
    await expect(rejected.promise).rejects.toThrow("no");
  });
});

// A wrapper that changes nothing passes every check, the spread one included.
testToolWrapper("an identity wrapper", (handler) => handler, { spreadKeepsSignal: true });
