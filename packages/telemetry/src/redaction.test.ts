import { connectInMemory as connectPair } from "@mcp-prod/testkit";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createLogger } from "./logger.ts";
import { captureLines, newServer } from "./telemetry.test-helpers.ts";
import { createTelemetry } from "./telemetry.ts";

const PASSWORD = "hunter2-secret";
const failure = () =>
  new Error(`connect ECONNREFUSED postgres://app:${PASSWORD}@127.0.0.1:5432/app`, {
    cause: new Error(`password=${PASSWORD}`),
  });

describe("secrets in thrown errors never reach a log line", () => {
  it("the tool_called line masks a password in the error's message, stack and cause", async () => {
    for (const logger of [
      (stream: pino.DestinationStream) => createLogger({ destination: stream }),
      // A server's own pino logger, without createLogger's serializers.
      (stream: pino.DestinationStream) => pino(stream),
    ]) {
      const { stream, lines } = captureLines();
      const telemetry = createTelemetry({ serviceName: "s", logger: logger(stream) });
      const server = newServer();
      server.registerTool(
        "report",
        { inputSchema: { month: z.string() } },
        telemetry.wrap("report", async () => {
          throw failure();
        }),
      );
      const pair = await connectPair(server);
      await pair.client.callTool({ name: "report", arguments: { month: "may" } });
      await pair.close();
      telemetry.close();
      expect(lines).toHaveLength(1);
      const text = JSON.stringify(lines);
      expect(text).not.toContain(PASSWORD);
      expect(text).toContain("postgres://app:***@127.0.0.1:5432/app");
    }
  });

  it("createLogger masks secrets in the errors of the server's own log lines", () => {
    const { stream, lines } = captureLines();
    createLogger({ destination: stream }).error({ err: failure() }, "query failed");
    expect(JSON.stringify(lines)).not.toContain(PASSWORD);
    expect(lines[0]).toMatchObject({ err: { message: expect.stringContaining(":***@") } });
  });
});
