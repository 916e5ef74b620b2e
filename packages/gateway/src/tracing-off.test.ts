import { trace } from "@opentelemetry/api";
import { describe, expect, it, onTestFinished } from "vitest";
import { connectClient, startBackend } from "./gateway.test-helpers.ts";
import { createGateway } from "./gateway.ts";

// No OpenTelemetry SDK is registered in this file: the application that has none.
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe.each([true, false])(
  "without an OpenTelemetry SDK (backend with sessions: %s)",
  (stateful) => {
    it("forwards the client's _meta unchanged, its traceparent included", async () => {
      const metas: unknown[] = [];
      const backend = await startBackend(
        (server) => {
          server.registerTool("echo", { description: "Records _meta" }, async (extra) => {
            metas.push(extra._meta);
            return { content: [{ type: "text", text: "ok" }] };
          });
        },
        { stateful },
      );
      onTestFinished(() => backend.close());
      const gateway = await createGateway({ port: 0, backends: [{ url: backend.url }] });
      onTestFinished(() => gateway.close());
      const client = await connectClient(gateway.url);
      onTestFinished(() => client.close());

      await client.callTool({
        name: "echo",
        _meta: { traceparent: TRACEPARENT, tracestate: "vendor=1", "app/request": "kept" },
      });
      expect(trace.getTracerProvider().getTracer("probe").startSpan("x").isRecording()).toBe(false);
      // The progress token is the gateway's own, so progress finds its way back; nothing else changes.
      expect(metas).toEqual([
        {
          traceparent: TRACEPARENT,
          tracestate: "vendor=1",
          "app/request": "kept",
          progressToken: expect.anything(),
        },
      ]);
    });
  },
);
