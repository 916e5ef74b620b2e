// One wrapped call, read back from the Prometheus exposition.
export async function smoke(mod) {
  const telemetry = mod.createTelemetry({ serviceName: "smoke" });
  const ping = telemetry.wrap("ping", async () => ({ content: [{ type: "text", text: "pong" }] }));
  const result = await ping({ signal: new AbortController().signal, requestId: 1 });
  if (result.content[0].text !== "pong") throw new Error("wrap changed the result");
  const text = await telemetry.metrics();
  if (!text.includes('mcp_tool_calls_total{tool="ping",status="success"} 1'))
    throw new Error(`unexpected exposition:\n${text}`);
  telemetry.close();
}
