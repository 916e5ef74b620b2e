import {
  type IdempotencyStore,
  idempotencyTransaction,
  withIdempotency,
} from "@mcp-prod/idempotency";
import { isTransientError, type Pool, PoolError } from "@mcp-prod/pool";
import type { Telemetry } from "@mcp-prod/telemetry";
import { sharedJsonSchemaValidator } from "@mcp-prod-examples/kit";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { createUser, getUser, searchUsers } from "./users.ts";

const json = (value: unknown) => ({
  content: [{ type: "text" as const, text: JSON.stringify(value) }],
});
const problem = (text: string) => ({ content: [{ type: "text" as const, text }], isError: true });

/** The column limits: `SERIAL` is a 32-bit integer, and an email fits an SMTP path. */
const MAX_ID = 2 ** 31 - 1;
const MAX_EMAIL_LENGTH = 254;
const noNul = (text: string) => !text.includes("\u0000");
const NUL_MESSAGE = "must not contain a NUL character";

/** What a client reads when the database fails: never its address, tables or the pool's numbers. */
export const DATABASE_UNAVAILABLE = "The database is unavailable right now. Try again later.";
export const DATABASE_FAILED = "The database could not answer this call. Try again later.";

/**
 * Answers a failed call with a client-safe message. Wrapped around
 * `telemetry.wrap`, so the error itself is logged (`tool_called`, `err`) and
 * reported before it is replaced.
 */
function clientSafe<A extends unknown[], R>(
  handler: (...args: A) => Promise<R>,
): (...args: A) => Promise<R | ReturnType<typeof problem>> {
  return async (...args) => {
    try {
      return await handler(...args);
    } catch (error) {
      const unavailable =
        (PoolError.isInstance(error) && error.code !== "EQUERYTIMEOUT") || isTransientError(error);
      return problem(unavailable ? DATABASE_UNAVAILABLE : DATABASE_FAILED);
    }
  };
}

/**
 * The user-management MCP server: built per request (stateless Streamable
 * HTTP), so everything with state (the pool, telemetry, the idempotency
 * records' store) is passed in. `idempotency` is `createPostgresStore({ pool,
 * transactional: true })` on the same database: `create_user` writes the user
 * and its idempotency record in one transaction.
 */
export function buildServer({
  pool,
  telemetry,
  idempotency,
}: {
  pool: Pool;
  telemetry: Telemetry;
  idempotency: IdempotencyStore;
}): McpServer {
  const server = new McpServer(
    { name: "user-management-mcp", version: "0.0.0" },
    { jsonSchemaValidator: sharedJsonSchemaValidator },
  );

  server.registerTool(
    "search_users",
    {
      description: "Find users whose name or email contains the query.",
      inputSchema: {
        query: z
          .string()
          .trim()
          .min(1)
          .max(100)
          .refine(noNul, NUL_MESSAGE)
          .describe("Part of a name or an email"),
        limit: z.number().int().min(1).max(50).default(10),
      },
    },
    clientSafe(
      telemetry.wrap("search_users", async ({ query, limit }) => {
        const users = await searchUsers(pool, query, limit);
        return json({ users, count: users.length });
      }),
    ),
  );

  server.registerTool(
    "get_user",
    {
      description: "Read one user by id.",
      inputSchema: { id: z.number().int().positive().max(MAX_ID) },
    },
    clientSafe(
      telemetry.wrap("get_user", async ({ id }) => {
        const user = await getUser(pool, id);
        return user ? json(user) : problem(`No user with id ${id}.`);
      }),
    ),
  );

  server.registerTool(
    "create_user",
    {
      description:
        'Create a user with a unique email. To retry safely, send the same key in _meta["mcp-prod/idempotency-key"] (a new UUID per user to create): a retry with that key answers with the user the first call created, marked _meta["mcp-prod/idempotency"].replayed, instead of "already exists".',
      inputSchema: {
        name: z.string().trim().min(1).max(200).refine(noNul, NUL_MESSAGE),
        email: z.email().max(MAX_EMAIL_LENGTH),
      },
    },
    clientSafe(
      // Telemetry outside: a replayed answer is counted as one.
      telemetry.wrap(
        "create_user",
        withIdempotency(
          async ({ name, email }, extra) => {
            // The user and the idempotency record commit together, or neither does.
            const user = await createUser(idempotencyTransaction(extra), { name, email });
            return user === "exists"
              ? problem(`A user with email ${email} already exists.`)
              : json(user);
          },
          { store: idempotency, name: "create_user" },
        ),
      ),
    ),
  );

  return server;
}
