import type { Pool } from "@mcp-prod/pool";
import type { Telemetry } from "@mcp-prod/telemetry";
import { sharedJsonSchemaValidator } from "@mcp-prod-examples/kit";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { createUser, getUser, searchUsers } from "./users.ts";

const json = (value: unknown) => ({
  content: [{ type: "text" as const, text: JSON.stringify(value) }],
});
const problem = (text: string) => ({ content: [{ type: "text" as const, text }], isError: true });

/**
 * The user-management MCP server: built per request (stateless Streamable
 * HTTP), so everything with state (the pool, telemetry) is passed in.
 */
export function buildServer({ pool, telemetry }: { pool: Pool; telemetry: Telemetry }): McpServer {
  const server = new McpServer(
    { name: "user-management-mcp", version: "0.0.0" },
    { jsonSchemaValidator: sharedJsonSchemaValidator },
  );

  server.registerTool(
    "search_users",
    {
      description: "Find users whose name or email contains the query.",
      inputSchema: {
        query: z.string().trim().min(1).max(100).describe("Part of a name or an email"),
        limit: z.number().int().min(1).max(50).default(10),
      },
    },
    telemetry.wrap("search_users", async ({ query, limit }) => {
      const users = await searchUsers(pool, query, limit);
      return json({ users, count: users.length });
    }),
  );

  server.registerTool(
    "get_user",
    {
      description: "Read one user by id.",
      inputSchema: { id: z.number().int().positive() },
    },
    telemetry.wrap("get_user", async ({ id }) => {
      const user = await getUser(pool, id);
      return user ? json(user) : problem(`No user with id ${id}.`);
    }),
  );

  server.registerTool(
    "create_user",
    {
      description: "Create a user with a unique email.",
      inputSchema: {
        name: z.string().trim().min(1).max(200),
        email: z.email(),
      },
    },
    telemetry.wrap("create_user", async ({ name, email }) => {
      const user = await createUser(pool, { name, email });
      return user === "exists" ? problem(`A user with email ${email} already exists.`) : json(user);
    }),
  );

  return server;
}
