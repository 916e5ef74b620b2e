// The tools, resources and prompts the MCP conformance suite's server scenarios
// call, registered on the SDK's real McpServer. Names, arguments and results
// follow the scenario descriptions of `@modelcontextprotocol/conformance`.
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  CreateMessageResultSchema,
  type ElicitRequestFormParams,
  ElicitResultSchema,
  type LoggingLevel,
  LoggingLevelSchema,
  type ServerNotification,
  type ServerRequest,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

/** A 1×1 PNG, the smallest valid image a client can decode. */
export const PNG_1X1_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

/** A 10 ms mono 8 kHz 8-bit WAV of silence, built once: a RIFF header and 80 mid-scale samples. */
export const WAV_SILENCE_BASE64 = (() => {
  const samples = 80;
  const wav = Buffer.alloc(44 + samples, 128);
  wav.write("RIFF", 0, "ascii");
  wav.writeUInt32LE(36 + samples, 4);
  wav.write("WAVEfmt ", 8, "ascii");
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(8000, 24); // sample rate
  wav.writeUInt32LE(8000, 28); // byte rate
  wav.writeUInt16LE(1, 32); // block align
  wav.writeUInt16LE(8, 34); // bits per sample
  wav.write("data", 36, "ascii");
  wav.writeUInt32LE(samples, 40);
  return wav.toString("base64");
})();

/** The URI `resources-subscribe` and `resources-unsubscribe` watch. */
export const WATCHED_RESOURCE_URI = "test://watched-resource";

const LEVELS = LoggingLevelSchema.options;

// The SDK lists zod schemas as draft-07 JSON Schema; the scenario checks that a 2020-12 schema
// (`$schema`, `$defs`, `additionalProperties`) reaches the client untouched, so the root carries
// them as metadata, which zod copies into the listed schema as they are.
const addressJsonSchema = {
  type: "object",
  properties: { street: { type: "string" }, city: { type: "string" } },
};
const jsonSchema2020Shape = z
  .strictObject({
    name: z.string().optional(),
    address: z
      .object({ street: z.string().optional(), city: z.string().optional() })
      .optional()
      .meta({ $ref: "#/$defs/address" }),
  })
  .meta({
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $defs: { address: addressJsonSchema },
  });

/** One client session's view of the fixture: what it subscribed to, its logging level. */
export type FixtureSession = {
  /** Resource URIs this session subscribed to (`resources/subscribe`). */
  readonly subscriptions: Set<string>;
  /** The level set with `logging/setLevel`; messages below it are not sent. */
  readonly logLevel: () => LoggingLevel | undefined;
};

const delay = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });

const text = (value: string) => ({ content: [{ type: "text" as const, text: value }] });

/**
 * Builds an McpServer holding every fixture the conformance suite's server scenarios call
 * (one server per client session, as the SDK's Streamable HTTP transport expects).
 *
 * @example
 * const { server } = createEverythingMcpServer();
 * await server.connect(transport);
 */
export function createEverythingMcpServer(): { server: McpServer; session: FixtureSession } {
  const server = new McpServer(
    { name: "mcp-prod-everything-fixture", version: "1.0.0" },
    {
      capabilities: { logging: {}, resources: { subscribe: true, listChanged: true } },
      instructions:
        "Fixture server for the MCP conformance suite: every test_* tool, resource and prompt it calls.",
    },
  );
  const subscriptions = new Set<string>();
  let level: LoggingLevel | undefined;
  const session: FixtureSession = { subscriptions, logLevel: () => level };

  // Our own handler (replacing the SDK's) so tool handlers can filter the messages they send on
  // their own request's stream, where the client is sure to be listening.
  server.server.setRequestHandler(SetLevelRequestSchema, (request) => {
    level = request.params.level;
    return {};
  });
  const shouldLog = (messageLevel: LoggingLevel) =>
    level === undefined || LEVELS.indexOf(messageLevel) >= LEVELS.indexOf(level);

  server.server.setRequestHandler(SubscribeRequestSchema, (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  registerTools(server, shouldLog);
  registerResources(server);
  registerPrompts(server);
  return { server, session };
}

function registerTools(server: McpServer, shouldLog: (level: LoggingLevel) => boolean): void {
  server.registerTool("test_simple_text", { description: "Returns one text block." }, () =>
    text("This is a simple text response for testing."),
  );
  server.registerTool("test_image_content", { description: "Returns a PNG image." }, () => ({
    content: [{ type: "image", data: PNG_1X1_BASE64, mimeType: "image/png" }],
  }));
  server.registerTool("test_audio_content", { description: "Returns a WAV audio clip." }, () => ({
    content: [{ type: "audio", data: WAV_SILENCE_BASE64, mimeType: "audio/wav" }],
  }));
  server.registerTool(
    "test_embedded_resource",
    { description: "Returns an embedded text resource." },
    () => ({
      content: [
        {
          type: "resource",
          resource: {
            uri: "test://embedded-resource",
            mimeType: "text/plain",
            text: "This is an embedded resource content.",
          },
        },
      ],
    }),
  );
  server.registerTool(
    "test_multiple_content_types",
    { description: "Returns text, an image and an embedded resource." },
    () => ({
      content: [
        { type: "text", text: "Multiple content types test:" },
        { type: "image", data: PNG_1X1_BASE64, mimeType: "image/png" },
        {
          type: "resource",
          resource: {
            uri: "test://mixed-content-resource",
            mimeType: "application/json",
            text: JSON.stringify({ test: "data", value: 123 }),
          },
        },
      ],
    }),
  );
  server.registerTool(
    "test_tool_with_logging",
    { description: "Sends three info log messages while it runs." },
    async (extra) => {
      const messages = [
        "Tool execution started",
        "Tool processing data",
        "Tool execution completed",
      ];
      for (const [index, data] of messages.entries()) {
        if (index > 0) await delay(50, extra.signal);
        if (shouldLog("info")) {
          await extra.sendNotification({
            method: "notifications/message",
            params: { level: "info", logger: "everything-fixture", data },
          });
        }
      }
      return text("Tool with logging executed successfully");
    },
  );
  server.registerTool(
    "test_tool_with_progress",
    { description: "Reports progress 0, 50 and 100 of 100 when asked for progress." },
    async (extra) => {
      const progressToken = extra._meta?.progressToken;
      for (const [index, progress] of [0, 50, 100].entries()) {
        if (index > 0) await delay(50, extra.signal);
        if (progressToken !== undefined) {
          await extra.sendNotification({
            method: "notifications/progress",
            params: {
              progressToken,
              progress,
              total: 100,
              message: `Completed step ${index + 1} of 3`,
            },
          });
        }
      }
      return text("Tool with progress executed successfully");
    },
  );
  server.registerTool(
    "test_error_handling",
    { description: "Always fails, with isError set." },
    () => {
      throw new Error("This tool intentionally returns an error for testing");
    },
  );
  server.registerTool(
    "test_reconnection",
    {
      description:
        "Closes its response stream mid-call; the result arrives after the client reconnects.",
    },
    async (extra) => {
      await delay(50, extra.signal);
      extra.closeSSEStream?.();
      await delay(200, extra.signal);
      return text("Reconnection test completed: the result was replayed after the stream closed.");
    },
  );
  server.registerTool(
    "test_sampling",
    {
      description: "Asks the client's model for a completion (sampling/createMessage).",
      inputSchema: { prompt: z.string().describe("The prompt to send to the model") },
    },
    async ({ prompt }, extra) => {
      if (!server.server.getClientCapabilities()?.sampling) {
        return { ...text("The client does not support sampling."), isError: true };
      }
      const result = await extra.sendRequest(
        {
          method: "sampling/createMessage",
          params: {
            messages: [{ role: "user", content: { type: "text", text: prompt } }],
            maxTokens: 100,
          },
        },
        CreateMessageResultSchema,
      );
      const reply =
        result.content.type === "text" ? result.content.text : `[${result.content.type}]`;
      return text(`LLM response: ${reply}`);
    },
  );
  const elicit = async (
    extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
    params: { message: string; requestedSchema: Record<string, unknown> },
  ) => {
    if (!server.server.getClientCapabilities()?.elicitation) return undefined;
    return extra.sendRequest(
      { method: "elicitation/create", params: params as ElicitRequestFormParams },
      ElicitResultSchema,
    );
  };
  server.registerTool(
    "test_elicitation",
    {
      description: "Asks the user for a username and email (elicitation/create).",
      inputSchema: { message: z.string().describe("The message to show the user") },
    },
    async ({ message }, extra) => {
      const result = await elicit(extra, {
        message,
        requestedSchema: {
          type: "object",
          properties: {
            username: { type: "string", description: "User's response" },
            email: { type: "string", description: "User's email address" },
          },
          required: ["username", "email"],
        },
      });
      if (!result) return { ...text("The client does not support elicitation."), isError: true };
      return text(
        `User response: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`,
      );
    },
  );
  server.registerTool(
    "test_elicitation_sep1034_defaults",
    { description: "Elicits one field of each primitive type, each with a default value." },
    async (extra) => {
      const result = await elicit(extra, {
        message: "Please review your details; every field has a default.",
        requestedSchema: {
          type: "object",
          properties: {
            name: { type: "string", description: "Full name", default: "John Doe" },
            age: { type: "integer", description: "Age in years", minimum: 0, default: 30 },
            score: {
              type: "number",
              description: "Score",
              minimum: 0,
              maximum: 100,
              default: 95.5,
            },
            status: {
              type: "string",
              description: "Account status",
              enum: ["active", "inactive", "pending"],
              default: "active",
            },
            verified: { type: "boolean", description: "Verified", default: true },
          },
        },
      });
      if (!result) return { ...text("The client does not support elicitation."), isError: true };
      return text(
        `Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`,
      );
    },
  );
  server.registerTool(
    "test_elicitation_sep1330_enums",
    {
      description:
        "Elicits one field of each enum form: untitled, titled, legacy, and both multi-selects.",
    },
    async (extra) => {
      const result = await elicit(extra, {
        message: "Please pick from each list.",
        requestedSchema: {
          type: "object",
          properties: {
            untitledSingle: { type: "string", enum: ["option1", "option2", "option3"] },
            titledSingle: {
              type: "string",
              oneOf: [
                { const: "value1", title: "First Option" },
                { const: "value2", title: "Second Option" },
                { const: "value3", title: "Third Option" },
              ],
            },
            legacyEnum: {
              type: "string",
              enum: ["opt1", "opt2", "opt3"],
              enumNames: ["Option One", "Option Two", "Option Three"],
            },
            untitledMulti: {
              type: "array",
              items: { type: "string", enum: ["option1", "option2", "option3"] },
            },
            titledMulti: {
              type: "array",
              items: {
                anyOf: [
                  { const: "value1", title: "First Choice" },
                  { const: "value2", title: "Second Choice" },
                  { const: "value3", title: "Third Choice" },
                ],
              },
            },
          },
        },
      });
      if (!result) return { ...text("The client does not support elicitation."), isError: true };
      return text(
        `Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`,
      );
    },
  );
  server.registerTool(
    "json_schema_2020_12_tool",
    {
      description: "Tool with JSON Schema 2020-12 features",
      inputSchema: jsonSchema2020Shape,
    },
    (args) => text(`Received ${JSON.stringify(args)}`),
  );
}

function registerResources(server: McpServer): void {
  server.registerResource(
    "static-text",
    "test://static-text",
    { description: "A static text resource.", mimeType: "text/plain" },
    (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: "text/plain",
          text: "This is the content of the static text resource.",
        },
      ],
    }),
  );
  server.registerResource(
    "static-binary",
    "test://static-binary",
    { description: "A static PNG image.", mimeType: "image/png" },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: "image/png", blob: PNG_1X1_BASE64 }] }),
  );
  server.registerResource(
    "watched-resource",
    WATCHED_RESOURCE_URI,
    {
      description: "A resource clients subscribe to for update notifications.",
      mimeType: "text/plain",
    },
    (uri) => ({
      contents: [{ uri: uri.href, mimeType: "text/plain", text: "Watched resource content." }],
    }),
  );
  server.registerResource(
    "template-data",
    new ResourceTemplate("test://template/{id}/data", {
      list: undefined,
      complete: { id: (value) => ["123", "456", "789"].filter((id) => id.startsWith(value)) },
    }),
    { description: "JSON data for any id.", mimeType: "application/json" },
    (uri, { id }) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: "application/json",
          text: JSON.stringify({
            id: String(id),
            templateTest: true,
            data: `Data for ID: ${String(id)}`,
          }),
        },
      ],
    }),
  );
}

function registerPrompts(server: McpServer): void {
  server.registerPrompt(
    "test_simple_prompt",
    { description: "A prompt without arguments." },
    () => ({
      messages: [
        { role: "user", content: { type: "text", text: "This is a simple prompt for testing." } },
      ],
    }),
  );
  const suggest = (candidates: string[]) => (value: string) =>
    candidates.filter((candidate) => candidate.startsWith(value));
  server.registerPrompt(
    "test_prompt_with_arguments",
    {
      description: "A prompt with two required arguments.",
      argsSchema: {
        arg1: completable(
          z.string().describe("First test argument"),
          suggest(["paris", "park", "party"]),
        ),
        arg2: completable(z.string().describe("Second test argument"), suggest(["hello", "world"])),
      },
    },
    ({ arg1, arg2 }) => ({
      messages: [
        {
          role: "user",
          content: { type: "text", text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` },
        },
      ],
    }),
  );
  server.registerPrompt(
    "test_prompt_with_embedded_resource",
    {
      description: "A prompt that embeds the resource it is given.",
      argsSchema: { resourceUri: z.string().describe("URI of the resource to embed") },
    },
    ({ resourceUri }) => ({
      messages: [
        {
          role: "user",
          content: {
            type: "resource",
            resource: {
              uri: resourceUri,
              mimeType: "text/plain",
              text: "Embedded resource content for testing.",
            },
          },
        },
        {
          role: "user",
          content: { type: "text", text: "Please process the embedded resource above." },
        },
      ],
    }),
  );
  server.registerPrompt(
    "test_prompt_with_image",
    { description: "A prompt with an image." },
    () => ({
      messages: [
        { role: "user", content: { type: "image", data: PNG_1X1_BASE64, mimeType: "image/png" } },
        { role: "user", content: { type: "text", text: "Please analyze the image above." } },
      ],
    }),
  );
}
