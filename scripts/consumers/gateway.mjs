// A gateway with one API key in front of a real MCP server: the key is required, and a
// tool call goes through under the backend's prefix.
import { createServer } from "node:http";

export async function smoke(mod, { load }) {
  const { McpServer } = await load("@modelcontextprotocol/sdk/server/mcp.js");
  const { StreamableHTTPServerTransport } = await load(
    "@modelcontextprotocol/sdk/server/streamableHttp.js",
  );
  const backend = createServer(async (req, res) => {
    const server = new McpServer({ name: "smoke", version: "1.0.0" });
    server.registerTool("ping", {}, async () => ({ content: [{ type: "text", text: "pong" }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => void transport.close());
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise((resolve) => backend.listen(0, "127.0.0.1", resolve));
  const gateway = await mod.createGateway({
    port: 0,
    backends: [{ prefix: "smoke", url: `http://127.0.0.1:${backend.address().port}/mcp` }],
    auth: { apiKeys: mod.parseApiKeys("smoke-key==smoke:*") },
  });
  try {
    const call = (authorization) =>
      fetch(`${gateway.url}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2025-06-18",
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: "smoke.ping", arguments: {} },
        }),
      });
    const refused = await call(undefined);
    if (refused.status !== 401) throw new Error(`no key: HTTP ${refused.status}`);
    const answered = await call("Bearer smoke-key=");
    const text = await answered.text();
    if (answered.status !== 200 || !text.includes("pong"))
      throw new Error(`with the key: HTTP ${answered.status} ${text.slice(0, 200)}`);
  } finally {
    await gateway.close();
    await new Promise((resolve) => backend.close(resolve));
  }
}
