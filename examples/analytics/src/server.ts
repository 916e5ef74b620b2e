import { sharedJsonSchemaValidator } from "@mcp-prod-examples/kit";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type createAnalyticsTools, reportInput } from "./tools.ts";

/** The analytics MCP server for one request; the wrapped tools are built once and shared. */
export function buildServer(tools: ReturnType<typeof createAnalyticsTools>): McpServer {
  const server = new McpServer(
    { name: "analytics-mcp", version: "0.0.0" },
    { jsonSchemaValidator: sharedJsonSchemaValidator },
  );
  server.registerTool(
    "get_report",
    {
      description:
        "A metric's daily figures. Served from cache when fresh; when the upstream API fails, the last good report (marked degraded in _meta).",
      inputSchema: reportInput,
    },
    tools.getReport,
  );
  server.registerTool(
    "list_metrics",
    { description: "The metrics get_report knows." },
    tools.listMetrics,
  );
  return server;
}
