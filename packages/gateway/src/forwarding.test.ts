import { waitFor } from "@mcp-prod/testkit";
import {
  CallToolRequestSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  ListToolsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  ResourceUpdatedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import {
  connectClient,
  everything,
  startBackend,
  type TestBackend,
} from "./gateway.test-helpers.ts";
import { createGateway, type Gateway } from "./gateway.ts";

// The same suite against both ways the upstream talks to a backend: with its sessions, and without.
describe.each(["stateful", "stateless"] as const)(
  "forwarding through an unprefixed %s backend",
  (kind) => {
    const stateful = kind === "stateful";
    let backend: TestBackend;
    let gateway: Gateway;

    beforeAll(async () => {
      backend = await startBackend(everything, {
        stateful,
        instructions: "Use echo_meta to debug.",
        capabilities: { logging: {}, resources: { subscribe: true } },
      });
      gateway = await createGateway({ port: 0, backends: [{ url: backend.url }] });
    });
    afterAll(async () => {
      await gateway?.close();
      await backend?.close();
    });

    it("initialize merges the backend's capabilities and instructions", async () => {
      const client = await connectClient(gateway.url);
      onTestFinished(() => client.close());
      const capabilities = client.getServerCapabilities();
      expect(capabilities?.tools).toBeDefined();
      expect(capabilities?.prompts).toBeDefined();
      expect(capabilities?.resources).toBeDefined();
      expect(capabilities?.completions).toBeDefined();
      expect(capabilities?.logging).toBeDefined();
      expect(client.getInstructions()).toBe("Use echo_meta to debug.");
      expect(await client.ping()).toEqual({});
    });

    it("lists and reads resources and templates, gets prompts and completes arguments under their own names", async () => {
      const client = await connectClient(gateway.url);
      onTestFinished(() => client.close());
      expect((await client.listResources()).resources.map((resource) => resource.uri)).toEqual([
        "file:///readme.txt",
      ]);
      expect((await client.readResource({ uri: "file:///readme.txt" })).contents).toEqual([
        { uri: "file:///readme.txt", text: "read me" },
      ]);
      expect(
        (await client.listResourceTemplates()).resourceTemplates.map(
          (template) => template.uriTemplate,
        ),
      ).toEqual(["items://{id}"]);
      expect(
        ((await client.readResource({ uri: "items://beta" })).contents[0] as { text?: string })
          ?.text,
      ).toBe("item beta");
      const prompt = await client.getPrompt({ name: "greet", arguments: { name: "Ada" } });
      expect(prompt.messages[0]?.content).toEqual({ type: "text", text: "Hello Ada" });
      const byPrompt = await client.complete({
        ref: { type: "ref/prompt", name: "greet" },
        argument: { name: "name", value: "A" },
      });
      expect(byPrompt.completion.values).toEqual(["Ada", "Alan"]);
      const byTemplate = await client.complete({
        ref: { type: "ref/resource", uri: "items://{id}" },
        argument: { name: "id", value: "g" },
      });
      expect(byTemplate.completion.values).toEqual(["gamma"]);
    });

    it("forwards a backend's JSON-RPC error with its code, data and message, prefixed once", async () => {
      const client = await connectClient(gateway.url);
      onTestFinished(() => client.close());
      const error = await client.callTool({ name: "fail" }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(McpError);
      expect(error).toMatchObject({ code: -32042, data: { detail: 7 } });
      expect((error as Error).message).toBe("MCP error -32042: custom failure");
    });

    it("forwards the request's _meta untouched, trace context included", async () => {
      const client = await connectClient(gateway.url);
      onTestFinished(() => client.close());
      const _meta = {
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        tracestate: "vendor=opaque",
        "example.com/custom": { nested: [1, 2] },
      };
      const result = await client.callTool({ name: "echo_meta", _meta });
      const seen = JSON.parse((result.content as Array<{ text: string }>)[0]?.text ?? "{}");
      expect(seen).toMatchObject(_meta);
    });

    it("relays log messages during a call and sets the level on the client's own backend session", async () => {
      const client = await connectClient(gateway.url);
      onTestFinished(() => client.close());
      const messages: unknown[] = [];
      client.setNotificationHandler(LoggingMessageNotificationSchema, async (notification) => {
        messages.push(notification.params.data);
      });
      await client.setLoggingLevel("info");
      const setLevel = backend.record.requests.filter(
        (request) => request.method === "logging/setLevel",
      );
      expect(setLevel.at(-1)?.params).toMatchObject({ level: "info" });
      await client.callTool({ name: "log_twice" });
      await waitFor(() => messages.length === 2, { what: "both log messages" });
      expect(messages).toEqual(["first", "second"]);
    });

    it("answers lists whole, without a cursor", async () => {
      const client = await connectClient(gateway.url);
      onTestFinished(() => client.close());
      const { tools, nextCursor } = await client.listTools();
      expect(nextCursor).toBeUndefined();
      expect(tools.map((tool) => tool.name).sort()).toEqual([
        "ask_model",
        "ask_user",
        "echo_meta",
        "fail",
        "log_twice",
        "touch",
      ]);
    });
  },
);

// A backend without sessions has no stream of its own and cannot wait for a client's answer.
describe("what only a backend with sessions does", () => {
  let backend: TestBackend;
  let gateway: Gateway;

  beforeAll(async () => {
    backend = await startBackend(everything, {
      stateful: true,
      capabilities: { logging: {}, resources: { subscribe: true } },
    });
    gateway = await createGateway({ port: 0, backends: [{ url: backend.url }] });
  });
  afterAll(async () => {
    await gateway?.close();
    await backend?.close();
  });

  it("relays a backend's sampling request to the calling client and its answer back", async () => {
    const client = await connectClient(gateway.url, {}, { sampling: {} });
    onTestFinished(() => client.close());
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
      role: "assistant",
      model: "test-model",
      content: {
        type: "text",
        text: `asked: ${(request.params.messages[0]?.content as { text?: string } | undefined)?.text}`,
      },
    }));
    const result = await client.callTool({ name: "ask_model" });
    const answer = JSON.parse((result.content as Array<{ text: string }>)[0]?.text ?? "{}");
    expect(answer).toMatchObject({
      model: "test-model",
      content: { type: "text", text: "asked: 2+2?" },
    });
  });
  it("relays elicitation and roots requests to the client that declared them", async () => {
    const client = await connectClient(gateway.url, {}, { elicitation: {}, roots: {} });
    onTestFinished(() => client.close());
    client.setRequestHandler(ElicitRequestSchema, async () => ({
      action: "accept",
      content: { name: "Ada" },
    }));
    client.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: [{ uri: "file:///work", name: "work" }],
    }));
    const result = await client.callTool({ name: "ask_user" });
    const seen = JSON.parse((result.content as Array<{ text: string }>)[0]?.text ?? "{}");
    expect(seen).toMatchObject({
      answer: { action: "accept", content: { name: "Ada" } },
      roots: { roots: [{ uri: "file:///work", name: "work" }] },
    });
  });
  it("forwards subscriptions and the backend's resource updates", async () => {
    const client = await connectClient(gateway.url);
    onTestFinished(() => client.close());
    const updated: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (notification) => {
      updated.push(notification.params.uri);
    });
    await client.subscribeResource({ uri: "file:///readme.txt" });
    expect(
      backend.record.requests.some((request) => request.method === "resources/subscribe"),
    ).toBe(true);
    await client.callTool({ name: "touch" });
    await waitFor(() => updated.length === 1, { what: "the resource update" });
    expect(updated).toEqual(["file:///readme.txt"]);
    await client.unsubscribeResource({ uri: "file:///readme.txt" });
  });
  it("gives each client session a backend session of its own, and reopens one the backend forgot", async () => {
    const before = backend.record.sessions;
    const first = await connectClient(gateway.url);
    const second = await connectClient(gateway.url);
    onTestFinished(() => first.close());
    onTestFinished(() => second.close());
    await first.callTool({ name: "echo_meta" });
    await second.callTool({ name: "echo_meta" });
    expect(backend.record.sessions).toBe(before + 2);
    backend.forgetSessions();
    // The backend restarted: the call still succeeds, over a new backend session.
    const result = await first.callTool({ name: "echo_meta" });
    expect(result.isError).toBeFalsy();
    expect(backend.record.sessions).toBe(before + 3);
  });
});

describe("a backend without sessions", () => {
  it("needs no backend session: every call, from any client, is one HTTP exchange", async () => {
    const backend = await startBackend("analytics");
    onTestFinished(() => backend.close());
    const gateway = await createGateway({ port: 0, backends: [{ url: backend.url }] });
    onTestFinished(() => gateway.close());
    const initializes = () =>
      backend.record.requests.filter((request) => request.method === "initialize").length;
    const before = initializes();
    const plain = await connectClient(gateway.url);
    onTestFinished(() => plain.close());
    const answer = await plain.callTool({ name: "ping", arguments: { n: 9 } });
    expect((answer.content as Array<{ text: string }>)[0]?.text).toBe("pong 9");
    expect(initializes()).toBe(before);
    for (let index = 0; index < 3; index += 1) {
      const client = await connectClient(gateway.url, {}, { sampling: {} });
      onTestFinished(() => client.close());
      const result = await client.callTool({ name: "ping", arguments: { n: index } });
      expect((result.content as Array<{ text: string }>)[0]?.text).toBe(`pong ${index}`);
    }
    expect(initializes()).toBe(before);
  });
});

describe("a backend that pages its lists", () => {
  it("reads every page and answers the merged list whole; a tool of the last page is callable", async () => {
    const cursors: Array<string | undefined> = [];
    const backend = await startBackend(
      (server) => {
        // Three pages of two tools each, as a backend with many tools answers.
        server.server.setRequestHandler(ListToolsRequestSchema, async (request) => {
          const cursor = request.params?.cursor;
          cursors.push(cursor);
          const page = cursor === undefined ? 0 : Number(cursor);
          const tools = [0, 1].map((index) => ({
            name: `tool_${page * 2 + index}`,
            inputSchema: { type: "object" as const },
          }));
          return page < 2 ? { tools, nextCursor: String(page + 1) } : { tools };
        });
        server.server.setRequestHandler(CallToolRequestSchema, async (request) => ({
          content: [{ type: "text", text: `called ${request.params.name}` }],
        }));
      },
      { capabilities: { tools: {} } },
    );
    onTestFinished(() => backend.close());
    const gateway = await createGateway({
      port: 0,
      backends: [{ prefix: "many", url: backend.url }],
    });
    onTestFinished(() => gateway.close());
    const client = await connectClient(gateway.url);
    onTestFinished(() => client.close());

    const { tools, nextCursor } = await client.listTools();
    expect(nextCursor).toBeUndefined();
    expect(tools.map((tool) => tool.name)).toEqual([0, 1, 2, 3, 4, 5].map((n) => `many.tool_${n}`));
    expect(cursors.slice(0, 3)).toEqual([undefined, "1", "2"]);
    const result = await client.callTool({ name: "many.tool_5" });
    expect((result.content as Array<{ text: string }>)[0]?.text).toBe("called tool_5");
  });
});

describe("naming", () => {
  it("exposes a prefixed backend's resource URIs and templates as prefix+uri and routes them back", async () => {
    const backend = await startBackend(everything, { stateful: true });
    onTestFinished(() => backend.close());
    const gateway = await createGateway({
      port: 0,
      backends: [{ prefix: "docs", url: backend.url }],
    });
    onTestFinished(() => gateway.close());
    const client = await connectClient(gateway.url);
    onTestFinished(() => client.close());
    expect((await client.listResources()).resources.map((resource) => resource.uri)).toEqual([
      "docs+file:///readme.txt",
    ]);
    expect((await client.readResource({ uri: "docs+file:///readme.txt" })).contents).toEqual([
      { uri: "docs+file:///readme.txt", text: "read me" },
    ]);
    expect((await client.listResourceTemplates()).resourceTemplates[0]?.uriTemplate).toBe(
      "docs+items://{id}",
    );
    expect(
      ((await client.readResource({ uri: "docs+items://beta" })).contents[0] as { text?: string })
        ?.text,
    ).toBe("item beta");
    expect(
      (await client.getPrompt({ name: "docs.greet", arguments: { name: "Ada" } })).messages,
    ).toHaveLength(1);
  });

  it("refuses to start when two unprefixed backends expose the same name, naming both", async () => {
    const one = await startBackend("analytics");
    const two = await startBackend("analytics");
    onTestFinished(() => one.close());
    onTestFinished(() => two.close());
    const label = (url: string) => new URL(url).host + new URL(url).pathname;
    await expect(
      createGateway({ port: 0, backends: [{ url: one.url }, { url: two.url }] }),
    ).rejects.toThrow(
      `tool "ping" is exposed by both backend ${label(one.url)} and backend ${label(two.url)}`,
    );
  });
});
