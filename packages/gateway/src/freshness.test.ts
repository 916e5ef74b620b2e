import { waitFor } from "@mcp-prod/testkit";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { call, connectClient, startBackend } from "./gateway.test-helpers.ts";
import { createGateway } from "./gateway.ts";

describe.each([true, false])("list freshness (backend with sessions: %s)", (stateful) => {
  it("re-reads a backend's tools on its list_changed and tells every client", async () => {
    let extra = false;
    // Every server of the backend (one per session, or one per request) offers the new tool.
    const servers: McpServer[] = [];
    const add = (server: McpServer) =>
      server.registerTool("added", { description: "Added later" }, async () => ({ content: [] }));
    const backend = await startBackend(
      (server) => {
        servers.push(server);
        server.registerTool("grow", { description: "Adds a tool" }, async (context) => {
          if (!extra) for (const each of servers) add(each);
          extra = true;
          await context.sendNotification({ method: "notifications/tools/list_changed" });
          return { content: [{ type: "text", text: "grown" }] };
        });
        if (extra) add(server);
      },
      { stateful },
    );
    onTestFinished(() => backend.close());
    const gateway = await createGateway({
      port: 0,
      backends: [{ url: backend.url }],
      refreshIntervalMs: 0,
    });
    onTestFinished(() => gateway.close());
    const client = await connectClient(gateway.url);
    const watcher = await connectClient(gateway.url);
    onTestFinished(() => client.close());
    onTestFinished(() => watcher.close());
    let told = 0;
    watcher.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      told += 1;
    });
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(["grow"]);
    await client.callTool({ name: "grow" });
    await waitFor(() => told === 1, { what: "the other client to be told" });
    expect((await watcher.listTools()).tools.map((tool) => tool.name)).toEqual(["grow", "added"]);
  });

  it("re-reads lists on a timer", async () => {
    let names = ["first"];
    const servers: McpServer[] = [];
    const register = (server: McpServer, name: string) =>
      server.registerTool(name, { description: name }, async () => ({ content: [] }));
    const backend = await startBackend(
      (server) => {
        servers.push(server);
        for (const name of names) register(server, name);
      },
      { stateful },
    );
    onTestFinished(() => backend.close());
    const gateway = await createGateway({
      port: 0,
      backends: [{ url: backend.url }],
      refreshIntervalMs: 100,
    });
    onTestFinished(() => gateway.close());
    const client = await connectClient(gateway.url);
    onTestFinished(() => client.close());
    names = ["first", "second"];
    for (const server of servers) register(server, "second");
    await waitFor(async () => (await client.listTools()).tools.length === 2, {
      what: "the timer's refresh",
    });
  });
});

describe.each([true, false])("call timeout (backend with sessions: %s)", (stateful) => {
  const slowBackend = () =>
    startBackend(
      (server) => {
        server.registerTool(
          "work",
          {
            description: "Works, reporting progress or not",
            inputSchema: { ms: z.number(), progress: z.boolean() },
          },
          async ({ ms, progress }, extra) => {
            const token = extra._meta?.progressToken;
            const end = Date.now() + ms;
            while (Date.now() < end) {
              await new Promise((resolve) => setTimeout(resolve, 50));
              if (progress && token !== undefined)
                await extra.sendNotification({
                  method: "notifications/progress",
                  params: { progressToken: token, progress: Date.now() },
                });
            }
            return { content: [{ type: "text", text: "done" }] };
          },
        );
      },
      { stateful },
    );

  it("cuts a silent call at backendTimeoutMs, and a call reporting progress runs past it", async () => {
    const backend = await slowBackend();
    onTestFinished(() => backend.close());
    const gateway = await createGateway({
      port: 0,
      backends: [{ url: backend.url }],
      backendTimeoutMs: 300,
    });
    onTestFinished(() => gateway.close());
    const client = await connectClient(gateway.url);
    onTestFinished(() => client.close());
    expect((await call(client, "work", { ms: 1200, progress: true })).text).toBe("done");
    const silent = await call(client, "work", { ms: 1200, progress: false });
    expect(silent.isError).toBe(true);
    expect(silent.text).toMatch(/did not answer in time/);
  });

  it("takes a backend's own timeout over the gateway's", async () => {
    const backend = await slowBackend();
    onTestFinished(() => backend.close());
    const gateway = await createGateway({
      port: 0,
      backends: [{ url: backend.url, timeoutMs: 5000 }],
      backendTimeoutMs: 100,
    });
    onTestFinished(() => gateway.close());
    const client = await connectClient(gateway.url);
    onTestFinished(() => client.close());
    expect((await call(client, "work", { ms: 500, progress: false })).text).toBe("done");
  });
});
