// A stand-in for the example gateway, for examples/README's MCP Inspector
// command: a stateless Streamable HTTP MCP server that answers only requests
// carrying `Authorization: Bearer demo-key` (401 otherwise), as the gateway
// does. It prints its URL, then serves until it is stopped.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

const http = createServer(async (request, response) => {
  if (request.headers.authorization !== "Bearer demo-key") {
    response.writeHead(401, { "www-authenticate": "Bearer" }).end();
    return;
  }
  const server = new McpServer({ name: "gateway-stand-in", version: "1.0.0" });
  server.registerTool("users.search_users", {}, async () => ({ content: [] }));
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  response.on("close", () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(request, response);
});
http.listen(0, "127.0.0.1", () => {
  console.log(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
});
process.on("SIGTERM", () => {
  http.closeAllConnections();
  http.close();
});
