import { connectInMemory, databaseUrl, type InMemoryConnection } from "@mcp-prod/testkit";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { createPool, isTransientError } from "./index.ts";

const schema = `pool_mcp_${process.pid}_${Date.now()}`;
// Its own application_name, so the check for a leftover pg_sleep sees this file's backends only.
const applicationName = `pool_mcp_${process.pid}`;
const pool = createPool({
  connectionString: databaseUrl(),
  name: "users",
  max: 2,
  applicationName,
});
const server = new McpServer({ name: "users", version: "1.0.0" });
let connection: InMemoryConnection<Client>;

// The handler the README shows: the request's signal goes to the query, and a
// database that is busy or away becomes a tool error the model can act on.
server.registerTool(
  "get_user",
  { description: "Look a user up by id", inputSchema: { id: z.number().int() } },
  async ({ id }, extra) => {
    try {
      const { rows } = await pool.query<{ id: number; name: string }>(
        `SELECT id, name FROM ${schema}.users WHERE id = $1`,
        [id],
        { signal: extra.signal, idempotent: true },
      );
      const user = rows[0];
      return user
        ? { content: [{ type: "text", text: JSON.stringify(user) }] }
        : { content: [{ type: "text", text: `No user ${id}` }], isError: true };
    } catch (error) {
      if (isTransientError(error)) {
        return {
          content: [{ type: "text", text: "The user database is busy; try again shortly." }],
          isError: true,
        };
      }
      throw error;
    }
  },
);

server.registerTool("slow_report", { description: "A long query" }, async (extra) => {
  await pool.query("SELECT pg_sleep(30)", [], { signal: extra.signal });
  return { content: [{ type: "text", text: "done" }] };
});

beforeAll(async () => {
  await pool.query(`CREATE SCHEMA ${schema}`);
  await pool.query(`CREATE TABLE ${schema}.users (id int PRIMARY KEY, name text)`);
  await pool.query(`INSERT INTO ${schema}.users VALUES (1, 'ada')`);
  connection = await connectInMemory(server);
});

afterAll(async () => {
  await connection.close();
  await pool.query(`DROP SCHEMA ${schema} CASCADE`);
  await pool.close();
});

describe("a tool handler querying through the pool", () => {
  it("answers a tool call from the database", async () => {
    const result = await connection.client.callTool({ name: "get_user", arguments: { id: 1 } });
    expect(result).toMatchObject({ content: [{ type: "text", text: '{"id":1,"name":"ada"}' }] });
    expect(result.isError).toBeFalsy();
  });

  it("turns an exhausted pool into a tool error instead of a hang", async () => {
    const held = await Promise.all([pool.acquire(), pool.acquire()]);
    try {
      const result = await connection.client.callTool({ name: "get_user", arguments: { id: 1 } });
      expect(result).toMatchObject({
        content: [{ type: "text", text: "The user database is busy; try again shortly." }],
        isError: true,
      });
    } finally {
      for (const connection of held) connection.release();
    }
  });

  it("stops the statement when the client cancels the tool call", async () => {
    const controller = new AbortController();
    const call = connection.client.callTool({ name: "slow_report" }, undefined, {
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(pool.stats().checkedOut).toBe(1));
    controller.abort(new Error("user pressed stop"));
    await expect(call).rejects.toThrow();
    await vi.waitFor(() => expect(pool.stats().checkedOut).toBe(0));
    // Closing the socket alone would leave pg_sleep running for 30 s; the pool sends a cancel request.
    await vi.waitFor(
      async () => {
        const { rows } = await pool.query<{ count: string }>(
          "SELECT count(*) AS count FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active' AND application_name = $1",
          [applicationName],
        );
        expect(rows[0]?.count).toBe("0");
      },
      { timeout: 10_000 },
    );
  });
});
