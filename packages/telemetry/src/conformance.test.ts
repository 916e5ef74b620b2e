import { testToolWrapper } from "@mcp-prod/testkit/wrapper";
import { Registry } from "prom-client";
import { compose, createTelemetry, withTelemetry } from "./index.ts";

function telemetry() {
  return createTelemetry({ serviceName: "conformance", registry: new Registry() });
}

testToolWrapper(
  "withTelemetry",
  (handler, context) => withTelemetry(handler, { telemetry: context, name: "weather" }),
  { context: telemetry, close: (context) => context.close(), spreadKeepsSignal: true },
);

testToolWrapper("telemetry.wrap", (handler, context) => context.wrap("weather", handler), {
  context: telemetry,
  close: (context) => context.close(),
  spreadKeepsSignal: true,
});

testToolWrapper(
  "withTelemetry as a policy",
  (handler, context) => compose("weather", handler, withTelemetry({ telemetry: context })),
  { context: telemetry, close: (context) => context.close(), spreadKeepsSignal: true },
);
