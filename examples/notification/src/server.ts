import { sharedJsonSchemaValidator } from "@mcp-prod-examples/kit";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { getInput, listInput, type NotificationTools, sendInput } from "./tools.ts";

/**
 * The notification MCP server: built per request (stateless Streamable
 * HTTP), so everything with state (the tools' store, the dispatcher) is passed in.
 */
export function buildServer(tools: NotificationTools): McpServer {
  const server = new McpServer(
    { name: "notification-mcp", version: "0.0.0" },
    { jsonSchemaValidator: sharedJsonSchemaValidator },
  );

  server.registerTool(
    "send_notification",
    {
      title: "Send a notification",
      description:
        "Accept an email or a webhook call for delivery and return its id at once (status accepted); " +
        "it is delivered in the background, retried until the provider takes it. Sending is not " +
        'idempotent by itself: to retry a call safely, send the same `_meta["mcp-prod/idempotency-key"]` ' +
        "(a retry with that key answers with the first call's id instead of sending again).",
      inputSchema: sendInput,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    tools.sendNotification,
  );

  server.registerTool(
    "get_notification",
    {
      title: "Read a notification",
      description:
        "Read one notification by id: its status (accepted, delivered, failed), attempts and last error.",
      inputSchema: getInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    tools.getNotification,
  );

  server.registerTool(
    "list_notifications",
    {
      title: "List notifications",
      description:
        "List notifications, newest first, optionally only one recipient's or in one status.",
      inputSchema: listInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    tools.listNotifications,
  );

  return server;
}
