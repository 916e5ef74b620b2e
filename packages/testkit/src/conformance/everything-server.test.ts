import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  type CallToolResult,
  CreateMessageRequestSchema,
  type ElicitRequest,
  ElicitRequestSchema,
  type LoggingMessageNotification,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { type EverythingServer, startEverythingServer } from "./everything-server.ts";
import { WATCHED_RESOURCE_URI } from "./fixtures.ts";

let fixture: EverythingServer;

beforeAll(async () => {
  fixture = await startEverythingServer({ retryIntervalMs: 10 });
});
afterAll(() => fixture.close());

async function connect(capabilities: ConstructorParameters<typeof Client>[1] = {}) {
  const client = new Client({ name: "fixture-test", version: "1.0.0" }, capabilities);
  const transport = new StreamableHTTPClientTransport(new URL(fixture.url));
  await client.connect(transport);
  onTestFinished(() => client.close());
  return { client, transport };
}

const call = (client: Client, name: string, args: Record<string, unknown> = {}) =>
  client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

const initialize = (headers: Record<string, string>, url = fixture.url) =>
  fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "raw", version: "1" },
      },
    }),
  });

describe("startEverythingServer", () => {
  it("lists every tool, resource, template and prompt the conformance scenarios call", async () => {
    const { client } = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      "json_schema_2020_12_tool",
      "test_audio_content",
      "test_elicitation",
      "test_elicitation_sep1034_defaults",
      "test_elicitation_sep1330_enums",
      "test_embedded_resource",
      "test_error_handling",
      "test_image_content",
      "test_multiple_content_types",
      "test_reconnection",
      "test_sampling",
      "test_simple_text",
      "test_tool_with_logging",
      "test_tool_with_progress",
    ]);
    for (const tool of tools) expect(tool.description).toBeTruthy();
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri).sort()).toEqual([
      "test://static-binary",
      "test://static-text",
      WATCHED_RESOURCE_URI,
    ]);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate)).toEqual([
      "test://template/{id}/data",
    ]);
    const { prompts } = await client.listPrompts();
    expect(prompts.map((prompt) => prompt.name).sort()).toEqual([
      "test_prompt_with_arguments",
      "test_prompt_with_embedded_resource",
      "test_prompt_with_image",
      "test_simple_prompt",
    ]);
    expect(client.getServerCapabilities()).toMatchObject({
      logging: {},
      completions: {},
      resources: { subscribe: true },
    });
  });

  it("answers the content tools with text, a decodable PNG and WAV, and embedded resources", async () => {
    const { client } = await connect();
    expect((await call(client, "test_simple_text")).content).toEqual([
      { type: "text", text: "This is a simple text response for testing." },
    ]);
    const [image] = (await call(client, "test_image_content")).content;
    expect(image).toMatchObject({ type: "image", mimeType: "image/png" });
    const png = Buffer.from((image as { data: string }).data, "base64");
    expect(png.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    const [audio] = (await call(client, "test_audio_content")).content;
    expect(audio).toMatchObject({ type: "audio", mimeType: "audio/wav" });
    const wav = Buffer.from((audio as { data: string }).data, "base64");
    expect([wav.toString("ascii", 0, 4), wav.toString("ascii", 8, 12)]).toEqual(["RIFF", "WAVE"]);
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect((await call(client, "test_embedded_resource")).content).toEqual([
      {
        type: "resource",
        resource: {
          uri: "test://embedded-resource",
          mimeType: "text/plain",
          text: "This is an embedded resource content.",
        },
      },
    ]);
    const mixed = (await call(client, "test_multiple_content_types")).content;
    expect(mixed.map((part) => part.type)).toEqual(["text", "image", "resource"]);
    expect(mixed[2]).toMatchObject({ resource: { text: '{"test":"data","value":123}' } });
  });

  it("reports a failing tool as isError with its message", async () => {
    const { client } = await connect();
    const result = await call(client, "test_error_handling");
    expect(result.isError).toBe(true);
    expect(result.content).toEqual([
      { type: "text", text: "This tool intentionally returns an error for testing" },
    ]);
  });

  it("sends three log messages during a call, filtered by the session's logging level", async () => {
    const { client } = await connect();
    const messages: LoggingMessageNotification["params"][] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      messages.push(notification.params);
    });
    await client.setLoggingLevel("info");
    await call(client, "test_tool_with_logging");
    expect(messages.map((message) => [message.level, message.data])).toEqual([
      ["info", "Tool execution started"],
      ["info", "Tool processing data"],
      ["info", "Tool execution completed"],
    ]);
    await client.setLoggingLevel("warning");
    await call(client, "test_tool_with_logging");
    expect(messages).toHaveLength(3);
  });

  it("reports progress 0, 50 and 100 of 100 when the call asks for progress", async () => {
    const { client } = await connect();
    const progress: number[] = [];
    await client.callTool({ name: "test_tool_with_progress", arguments: {} }, undefined, {
      onprogress: (update) => {
        expect(update.total).toBe(100);
        progress.push(update.progress);
      },
    });
    expect(progress).toEqual([0, 50, 100]);
  });

  it("asks the client's model through sampling and answers with its reply", async () => {
    const { client } = await connect({ capabilities: { sampling: {} } });
    const prompts: unknown[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, (request) => {
      prompts.push(request.params.messages[0]?.content);
      expect(request.params.maxTokens).toBe(100);
      return {
        role: "assistant",
        content: { type: "text", text: "forty-two" },
        model: "test-model",
      };
    });
    const result = await call(client, "test_sampling", { prompt: "What is the answer?" });
    expect(prompts).toEqual([{ type: "text", text: "What is the answer?" }]);
    expect(result.content).toEqual([{ type: "text", text: "LLM response: forty-two" }]);
  });

  it("refuses sampling and elicitation with isError when the client does not declare them", async () => {
    const { client } = await connect();
    expect((await call(client, "test_sampling", { prompt: "x" })).isError).toBe(true);
    expect((await call(client, "test_elicitation", { message: "x" })).isError).toBe(true);
  });

  it("elicits input with the schemas the elicitation scenarios check", async () => {
    const { client } = await connect({ capabilities: { elicitation: {} } });
    const requests: ElicitRequest["params"][] = [];
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      requests.push(request.params);
      return { action: "accept", content: { username: "ada", email: "ada@example.com" } };
    });
    const answered = await call(client, "test_elicitation", { message: "Who are you?" });
    expect(answered.content).toEqual([
      {
        type: "text",
        text: 'User response: action=accept, content={"username":"ada","email":"ada@example.com"}',
      },
    ]);
    await call(client, "test_elicitation_sep1034_defaults");
    await call(client, "test_elicitation_sep1330_enums");
    const [basic, defaults, enums] = requests.map((params) =>
      "requestedSchema" in params ? params : undefined,
    );
    expect(basic?.message).toBe("Who are you?");
    expect(basic?.requestedSchema.required).toEqual(["username", "email"]);
    const defaultsOf = Object.fromEntries(
      Object.entries(defaults?.requestedSchema.properties ?? {}).map(([key, schema]) => [
        key,
        [schema.type, (schema as { default?: unknown }).default],
      ]),
    );
    expect(defaultsOf).toEqual({
      name: ["string", "John Doe"],
      age: ["integer", 30],
      score: ["number", 95.5],
      status: ["string", "active"],
      verified: ["boolean", true],
    });
    expect(enums?.requestedSchema.properties).toMatchObject({
      untitledSingle: { type: "string", enum: ["option1", "option2", "option3"] },
      titledSingle: {
        type: "string",
        oneOf: expect.arrayContaining([{ const: "value1", title: "First Option" }]),
      },
      legacyEnum: {
        enum: ["opt1", "opt2", "opt3"],
        enumNames: ["Option One", "Option Two", "Option Three"],
      },
      untitledMulti: {
        type: "array",
        items: { type: "string", enum: ["option1", "option2", "option3"] },
      },
      titledMulti: {
        type: "array",
        items: { anyOf: expect.arrayContaining([{ const: "value1", title: "First Choice" }]) },
      },
    });
  });

  it("lists a JSON Schema 2020-12 input schema as is and still validates calls against it", async () => {
    const { client } = await connect();
    const { tools } = await client.listTools();
    const schema = tools.find((tool) => tool.name === "json_schema_2020_12_tool")?.inputSchema;
    expect(schema).toMatchObject({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $defs: {
        address: {
          type: "object",
          properties: { street: { type: "string" }, city: { type: "string" } },
        },
      },
      properties: { address: { $ref: "#/$defs/address" } },
      additionalProperties: false,
    });
    expect((await call(client, "json_schema_2020_12_tool", { name: "Ada" })).isError).toBeFalsy();
    expect((await call(client, "json_schema_2020_12_tool", { unknown: 1 })).isError).toBe(true);
  });

  it("resumes a call whose stream it closed, once the client reconnects with Last-Event-ID", async () => {
    const resumedFrom: string[] = [];
    const client = new Client({ name: "fixture-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(fixture.url), {
        fetch: (url, init) => {
          const lastEventId = new Headers(init?.headers).get("last-event-id");
          if (lastEventId) resumedFrom.push(lastEventId);
          return fetch(url, init);
        },
      }),
    );
    onTestFinished(() => client.close());
    const result = await call(client, "test_reconnection");
    expect(resumedFrom).toHaveLength(1);
    expect(result.isError).toBeFalsy();
    expect(result.content[0]).toMatchObject({
      type: "text",
      text: expect.stringContaining("replayed"),
    });
  });

  it("reads the static resources and fills the template's id", async () => {
    const { client } = await connect();
    expect((await client.readResource({ uri: "test://static-text" })).contents).toEqual([
      {
        uri: "test://static-text",
        mimeType: "text/plain",
        text: "This is the content of the static text resource.",
      },
    ]);
    const [binary] = (await client.readResource({ uri: "test://static-binary" })).contents;
    expect(binary).toMatchObject({
      uri: "test://static-binary",
      mimeType: "image/png",
      blob: expect.any(String),
    });
    const [data] = (await client.readResource({ uri: "test://template/123/data" })).contents;
    expect(JSON.parse((data as { text: string }).text)).toEqual({
      id: "123",
      templateTest: true,
      data: "Data for ID: 123",
    });
  });

  it("notifies only the sessions subscribed to a resource", async () => {
    const { client: subscriber } = await connect();
    const { client: other } = await connect();
    const updates: string[] = [];
    subscriber.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
      updates.push(notification.params.uri);
    });
    await subscriber.subscribeResource({ uri: WATCHED_RESOURCE_URI });
    await other.listTools();
    expect(await fixture.notifyResourceUpdated(WATCHED_RESOURCE_URI)).toBe(1);
    await vi.waitFor(() => expect(updates).toEqual([WATCHED_RESOURCE_URI]));
    await subscriber.unsubscribeResource({ uri: WATCHED_RESOURCE_URI });
    expect(await fixture.notifyResourceUpdated(WATCHED_RESOURCE_URI)).toBe(0);
  });

  it("gets the prompts with their arguments, embedded resource and image", async () => {
    const { client } = await connect();
    expect((await client.getPrompt({ name: "test_simple_prompt" })).messages).toEqual([
      { role: "user", content: { type: "text", text: "This is a simple prompt for testing." } },
    ]);
    const withArgs = await client.getPrompt({
      name: "test_prompt_with_arguments",
      arguments: { arg1: "hello", arg2: "world" },
    });
    expect(withArgs.messages[0]?.content).toEqual({
      type: "text",
      text: "Prompt with arguments: arg1='hello', arg2='world'",
    });
    const embedded = await client.getPrompt({
      name: "test_prompt_with_embedded_resource",
      arguments: { resourceUri: "test://example-resource" },
    });
    expect(embedded.messages[0]?.content).toMatchObject({
      type: "resource",
      resource: { uri: "test://example-resource", mimeType: "text/plain" },
    });
    const image = await client.getPrompt({ name: "test_prompt_with_image" });
    expect(image.messages.map((message) => message.content.type)).toEqual(["image", "text"]);
  });

  it("completes prompt arguments and template variables by prefix", async () => {
    const { client } = await connect();
    const prompt = await client.complete({
      ref: { type: "ref/prompt", name: "test_prompt_with_arguments" },
      argument: { name: "arg1", value: "par" },
    });
    expect(prompt.completion.values).toEqual(["paris", "park", "party"]);
    const template = await client.complete({
      ref: { type: "ref/resource", uri: "test://template/{id}/data" },
      argument: { name: "id", value: "4" },
    });
    expect(template.completion.values).toEqual(["456"]);
  });

  it("keeps one session per client and forgets it when the client ends it", async () => {
    const before = fixture.sessionCount();
    const { transport } = await connect();
    expect(fixture.sessionCount()).toBe(before + 1);
    await transport.terminateSession();
    expect(fixture.sessionCount()).toBe(before);
    const stale = await fetch(fixture.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": "no-such-session",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    expect(stale.status).toBe(404);
  });

  it("refuses a foreign Host or Origin (DNS rebinding) and accepts loopback ones", async () => {
    const evilHost = await initialize({
      host: "evil.example.com",
      origin: "http://evil.example.com",
    });
    expect(evilHost.status).toBe(403);
    const evilOrigin = await initialize({ origin: "http://evil.example.com" });
    expect(evilOrigin.status).toBe(403);
    const local = await initialize({
      host: `localhost:${fixture.port}`,
      origin: `http://localhost:${fixture.port}`,
    });
    expect(local.status).toBe(200);
    const sessionId = local.headers.get("mcp-session-id");
    await local.body?.cancel();
    expect(sessionId).toBeTruthy();
    await fetch(fixture.url, { method: "DELETE", headers: { "mcp-session-id": sessionId ?? "" } });
  });

  it("accepts any Host and Origin when DNS-rebinding protection is off", async () => {
    const open = await startEverythingServer({ dnsRebindingProtection: false });
    try {
      const response = await initialize({ origin: "http://evil.example.com" }, open.url);
      await response.body?.cancel();
      expect(response.status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it("refuses unknown and invalid options", async () => {
    await expect(startEverythingServer({ prot: 1 } as never)).rejects.toThrow(
      /Unknown option `prot`.*`port`/,
    );
    await expect(startEverythingServer({ port: -1 })).rejects.toThrow(
      "Expected `port` to be a non-negative integer, got -1",
    );
  });
});

describe("close()", () => {
  it("closes every session and stops listening", async () => {
    const server = await startEverythingServer();
    const client = new Client({ name: "fixture-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    expect(server.sessionCount()).toBe(1);
    await server.close();
    expect(server.sessionCount()).toBe(0);
    await expect(fetch(server.url)).rejects.toThrow();
    await client.close();
  });
});
