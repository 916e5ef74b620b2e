// The resources and prompts the MCP conformance suite's server scenarios read and get, and the
// media they share with the tools.
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
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

/** Registers the static resources, the watched resource and the `test://template/{id}/data` template. */
export function registerFixtureResources(server: McpServer): void {
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

/** Registers the `test_*` prompts; `test_prompt_with_arguments` completes its arguments. */
export function registerFixturePrompts(server: McpServer): void {
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
