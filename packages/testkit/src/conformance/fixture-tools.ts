// The tools the MCP conformance suite's server scenarios call, with the results they check.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  CreateMessageResultSchema,
  type ElicitRequestFormParams,
  ElicitResultSchema,
  type LoggingLevel,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { PNG_1X1_BASE64, WAV_SILENCE_BASE64 } from "./fixture-content.ts";

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

/** Registers the `test_*` tools and `json_schema_2020_12_tool`; `shouldLog` applies the session's logging level. */
export function registerFixtureTools(
  server: McpServer,
  shouldLog: (level: LoggingLevel) => boolean,
): void {
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
