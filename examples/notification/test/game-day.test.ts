/**
 * Game day for notification-mcp: 200 `send_notification` calls from 6 MCP
 * clients, each retried once with the same idempotency key after a random
 * client-side timeout, while the provider fails 20 % of its deliveries
 * (seeded) and the server, a child process on a PostgreSQL schema of its
 * own, is SIGKILLed and restarted once mid-run. Then: every key maps to one
 * id, every accepted notification reaches the provider exactly once (a
 * redelivery after the kill is deduplicated there by the id and counted
 * apart), none is lost, and every call was answered or repaired by its retry.
 */
import { seededRandom } from "@mcp-prod/internal";
import { waitFor } from "@mcp-prod/testkit";
import {
  connectClient,
  createTestSchema,
  type RunningExample,
  startExample,
} from "@mcp-prod-examples/kit/testing";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Provider, startProvider } from "../src/provider/server.ts";
import { freePort, send } from "./helpers.ts";

const CALLS = 200;
const CLIENTS = 6;
const KILL_AT = 80;
const FAILURE_RATE = 0.2;
/** A retry's own client-side timeout: long enough for any answer but one cut off by the kill. */
const RETRY_TIMEOUT_MS = 10_000;
/** How many notifications a process holds at once (DISPATCH_CONCURRENCY × 2): only these can be sent twice. */
const CONCURRENCY = 8;

type Outcome = {
  key: string;
  /** The first attempt's id, when it was answered in time. */
  firstId?: string;
  /** Why the first attempt got no id: "timeout", "connection" (the kill), or an isError text. */
  firstFailure?: string;
  retryId?: string;
  retryReplayed: boolean;
  /** Times the retry found the server down and waited for it. */
  retriesWhileDown: number;
};

describe("game day: retried sends, a failing provider and a killed server", () => {
  const random = seededRandom(28);
  let provider: Provider;
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let server: RunningExample;
  let db: pg.Pool;
  let port: number;
  const clients: Client[] = [];

  const start = () =>
    startExample(
      "notification",
      {
        DATABASE_URL: schema.url,
        PROVIDER_URL: provider.url,
        SERVER_PORT: String(port),
        DISPATCH_INTERVAL_MS: "100",
        DISPATCH_CONCURRENCY: String(CONCURRENCY),
        DISPATCH_LEASE_MS: "3000",
        DISPATCH_PER_RECIPIENT_PER_MINUTE: "1000",
        BREAKER_RESET_TIMEOUT_MS: "500",
      },
      { timeoutMs: 60_000 },
    );

  beforeAll(async () => {
    provider = await startProvider({ latencyMs: 5, failureRate: FAILURE_RATE, random });
    schema = await createTestSchema("notify_game_day");
    db = new pg.Pool({ connectionString: schema.url, max: 2 });
    port = await freePort();
    server = await start();
    for (let index = 0; index < CLIENTS; index++) clients.push(await connectClient(server.url));
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) await client.close();
    await server?.stop();
    await db?.end();
    await schema?.drop();
    await provider?.close();
  });

  it("takes every accepted notification to the provider exactly once", async () => {
    let started = 0;
    let up: Promise<unknown> = Promise.resolve();
    let killed = false;
    const isConnectionError = (error: unknown) => !/timed out|timeout/i.test(String(error));

    const logicalCall = async (client: Client, index: number): Promise<Outcome> => {
      started += 1;
      if (started === KILL_AT) {
        const victim = server;
        killed = true;
        up = (async () => {
          await victim.stop("SIGKILL");
          server = await start();
        })();
      }
      const key = `game-day-${index}`;
      const args = {
        channel: index % 4 === 0 ? "webhook" : "email",
        to:
          index % 4 === 0
            ? `https://hooks.example.com/${index % 10}`
            : `user${index % 50}@example.com`,
        subject: `Message ${index}`,
        body: `Body of message ${index}`,
      };
      const outcome: Outcome = { key, retryReplayed: false, retriesWhileDown: 0 };
      // The first attempt: the client gives up after 20 to 200 ms.
      try {
        const answer = await send(client, args, key, { timeout: 20 + Math.floor(random() * 180) });
        if (answer.isError) outcome.firstFailure = answer.text;
        else outcome.firstId = JSON.parse(answer.text).id;
      } catch (error) {
        outcome.firstFailure = isConnectionError(error) ? "connection" : "timeout";
      }
      // The retry, with the same key. One cut by the kill (a refused connection, or an answer
      // stream that broke off and timed out) waits for the restarted server and asks again.
      for (;;) {
        try {
          const answer = await send(client, args, key, { timeout: RETRY_TIMEOUT_MS });
          expect(answer.isError, answer.text).toBeFalsy();
          outcome.retryId = JSON.parse(answer.text).id;
          outcome.retryReplayed =
            (answer._meta?.["mcp-prod/idempotency"] as { replayed?: boolean } | undefined)
              ?.replayed === true;
          return outcome;
        } catch (error) {
          if (!killed || outcome.retriesWhileDown >= 3) throw error;
          outcome.retriesWhileDown += 1;
          await up;
        }
      }
    };

    const outcomes: Outcome[] = [];
    let next = 0;
    await Promise.all(
      clients.map(async (client) => {
        while (next < CALLS) {
          const index = next++;
          outcomes.push(await logicalCall(client, index));
        }
      }),
    );
    await up;

    // Every call was answered, by its first attempt or by its retry, and each key maps to one id.
    expect(outcomes).toHaveLength(CALLS);
    for (const outcome of outcomes) {
      expect(outcome.retryId, outcome.key).toBeDefined();
      if (outcome.firstId !== undefined) expect(outcome.retryId).toBe(outcome.firstId);
    }
    const ids = new Set(outcomes.map((outcome) => outcome.retryId as string));
    expect(ids.size).toBe(CALLS);

    // The outbox holds exactly the accepted notifications: one row per key, none lost.
    const { rows } = await db.query<{ id: string }>("SELECT id FROM notifications");
    expect(new Set(rows.map((row) => row.id))).toEqual(ids);

    // Each reaches the provider, and the server marks it delivered.
    await waitFor(() => [...ids].every((id) => provider.deliveries().has(id)), {
      what: "every accepted notification at the provider",
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    await waitFor(
      async () =>
        Number(
          (await db.query("SELECT count(*) AS n FROM notifications WHERE status = 'delivered'"))
            .rows[0].n,
        ) === CALLS,
      { what: "every notification marked delivered", timeoutMs: 60_000, intervalMs: 100 },
    );

    // Exactly once at the provider: one delivery per id, nothing it was not asked for.
    const stats = provider.stats();
    expect(stats.deliveries).toBe(CALLS);
    expect(new Set(provider.deliveries().keys())).toEqual(ids);
    // A second send of one id can only come from a notification the killed process had
    // claimed (at most 2 × its concurrency) and was deduplicated by the provider.
    expect(stats.duplicates).toBeLessThanOrEqual(CONCURRENCY * 2);
    expect(stats.failures).toBeGreaterThan(0);

    const replays = outcomes.filter((outcome) => outcome.retryReplayed).length;
    const timeouts = outcomes.filter((outcome) => outcome.firstFailure === "timeout").length;
    const cut = outcomes.filter((outcome) => outcome.firstFailure === "connection").length;
    const waited = outcomes.filter((outcome) => outcome.retriesWhileDown > 0).length;
    // Every first attempt that was answered is replayed by its retry.
    expect(replays).toBeGreaterThanOrEqual(outcomes.filter((o) => o.firstId !== undefined).length);
    console.log(
      `game day: ${CALLS} calls from ${CLIENTS} clients, server killed at call ${KILL_AT}; ` +
        `accepted ${ids.size}, delivered ${stats.deliveries} (each id once), ` +
        `duplicates at the provider ${stats.duplicates} (deduplicated), replays ${replays}, ` +
        `first attempts timed out ${timeouts}, cut by the kill ${cut}, retries that waited for the restart ${waited}, ` +
        `provider failures ${stats.failures} of ${stats.requests} requests`,
    );
  }, 150_000);
});
