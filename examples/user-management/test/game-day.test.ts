/**
 * Game day for the user search: chaos in the query path (errors and latency
 * on every PostgreSQL search), 20 concurrent MCP clients, and the tool
 * composed once with `compose`: retry (with a budget) → bulkhead → handler.
 * Every call must be answered (users, "Server busy" marked, or an error after
 * the retries), retries must stay within their budget, the bulkhead must
 * shed, and no connection, slot or queue place may be left behind.
 */
import { randomUUID } from "node:crypto";
import { BULKHEAD_META_KEY, createBulkhead, withBulkhead } from "@mcp-prod/bulkhead";
import { createChaos } from "@mcp-prod/chaos";
import { createPool } from "@mcp-prod/pool";
import { compose, createRetryBudget, RETRY_META_KEY, withRetry } from "@mcp-prod/retry";
import { databaseUrl } from "@mcp-prod/testkit";
import { inMemoryMcp } from "@mcp-prod/testkit/mcp";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { migrate, searchUsers, type User } from "../src/users.ts";

type Answer = {
  content?: Array<{ type: string; text?: string }>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
};

const schema = `game_day_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const admin = new pg.Pool({ connectionString: databaseUrl(), max: 1 });
const RATIO = 0.2;
const MIN_PER_SECOND = 1;
const WINDOW_MS = 120_000;
const FLOOR = (MIN_PER_SECOND * WINDOW_MS) / 1000;
const NAMES = ["Ada", "Grace", "Alan"];

const mcp = inMemoryMcp("user-management-game-day");

describe("game day: user search under chaos in the query path", () => {
  const url = new URL(databaseUrl());
  url.searchParams.set("options", `-c search_path=${schema}`);
  const pool = createPool({ connectionString: url.href, max: 4 });
  const chaos = createChaos({ seed: 7, error: { rate: 0.3 }, latency: { rate: 0.5, ms: 30 } });
  const budget = createRetryBudget({
    ratio: RATIO,
    minPerSecond: MIN_PER_SECOND,
    windowMs: WINDOW_MS,
  });
  const bulkhead = createBulkhead({
    name: "search_users",
    limit: 4,
    queue: 4,
    queueTimeoutMs: 200,
  });
  let queries = 0;
  // Chaos sits in the query path: the faults look like the database's own.
  const search = chaos.wrap((query: string, limit: number) => {
    queries += 1;
    return searchUsers(pool, query, limit);
  });
  const searchUsersTool = compose(
    "search_users",
    async ({ query, limit }: { query: string; limit: number }) => ({
      content: [{ type: "text" as const, text: JSON.stringify(await search(query, limit)) }],
    }),
    withRetry({ idempotent: true, attempts: 3, minDelayMs: 5, maxDelayMs: 50, budget }),
    withBulkhead({ bulkhead }),
  );
  const register = (server: Parameters<Parameters<typeof mcp.connect>[0]>[0]) =>
    server.registerTool(
      "search_users",
      { inputSchema: { query: z.string(), limit: z.number().int().min(1).max(50).default(10) } },
      searchUsersTool,
    );

  beforeAll(async () => {
    await admin.query(`CREATE SCHEMA ${schema}`);
    await migrate(pool);
  });

  afterAll(async () => {
    await mcp.closeAll();
    bulkhead.close();
    await pool.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  async function load(lanes: number, perLane: number) {
    const clients = await Promise.all(Array.from({ length: lanes }, () => mcp.connect(register)));
    const answers = await Promise.all(
      clients.map(async (client, lane) => {
        const own: Array<{ name: string; answer: Answer }> = [];
        for (let index = 0; index < perLane; index++) {
          const name = NAMES[(lane + index) % NAMES.length] as string;
          // A hung call fails this request instead of stalling the test.
          const answer = (await client.callTool(
            { name: "search_users", arguments: { query: name } },
            undefined,
            { timeout: 15_000 },
          )) as Answer;
          own.push({ name, answer });
        }
        return own;
      }),
    );
    return answers.flat();
  }

  it("answers every call under chaos and 20 concurrent clients, retries within budget, sheds with the bulkhead", async () => {
    chaos.enable();
    const answers = await load(20, 10);
    chaos.disable();
    expect(answers).toHaveLength(200);
    let found = 0;
    let busy = 0;
    let failed = 0;
    let retried = 0;
    for (const { name, answer } of answers) {
      const shed = answer._meta?.[BULKHEAD_META_KEY] as { rejected?: boolean } | undefined;
      const text = answer.content?.[0]?.text ?? "";
      if (shed?.rejected === true) {
        busy += 1;
        expect(answer).toMatchObject({
          isError: true,
          content: [{ text: "Server busy, try again shortly" }],
        });
      } else if (answer.isError === true) {
        failed += 1;
        expect(text).toMatch(/attempts failed|Retry budget exhausted/);
      } else {
        found += 1;
        const users = JSON.parse(text) as User[];
        expect(users.map((user) => user.name).join()).toContain(name);
        const meta = answer._meta?.[RETRY_META_KEY] as { attempts: number } | undefined;
        expect(meta?.attempts).toBeGreaterThanOrEqual(1);
        if ((meta?.attempts ?? 0) > 1) retried += 1;
      }
    }
    expect(found + busy + failed).toBe(200);
    expect(found).toBeGreaterThan(0);
    expect(retried).toBeGreaterThan(0);
    expect(busy).toBeGreaterThan(0);
    expect(bulkhead.stats().rejected + bulkhead.stats().timedOut).toBe(busy);
    expect(chaos.stats().error).toBeGreaterThan(0);
    // Each call is one first attempt; retries are capped by the budget.
    expect(budget.stats().calls).toBe(200);
    expect(chaos.stats().calls).toBeLessThanOrEqual((1 + RATIO) * 200 + FLOOR);
    // Nothing left behind: no slot, no queue place, no checked-out connection.
    expect(bulkhead.stats()).toMatchObject({ active: 0, queued: 0 });
    expect(pool.stats().checkedOut).toBe(0);
    expect(queries).toBe(chaos.stats().calls - chaos.stats().error);
  });

  it("serves every call at the first attempt once chaos is off", async () => {
    const answers = await load(4, 5);
    for (const { name, answer } of answers) {
      expect(answer.isError).toBeUndefined();
      expect(answer._meta?.[RETRY_META_KEY]).toEqual({ attempts: 1 });
      expect(answer.content?.[0]?.text).toContain(name);
    }
  });
});
