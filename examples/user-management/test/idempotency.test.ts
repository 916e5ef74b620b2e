import { randomUUID } from "node:crypto";
import { databaseUrl, waitFor } from "@mcp-prod/testkit";
import {
  connectClient,
  get,
  type RunningExample,
  startExample,
} from "@mcp-prod-examples/kit/testing";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const KEY = "mcp-prod/idempotency-key";
const MARK = "mcp-prod/idempotency";

const schema = `idem_users_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const appName = `user-management-idempotency-${schema}`;
const admin = new pg.Pool({ connectionString: databaseUrl(), max: 2 });
const cleanup: Array<() => Promise<unknown>> = [];

let server: RunningExample;
let client: Client;

beforeAll(async () => {
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(databaseUrl());
  url.searchParams.set("options", `-c search_path=${schema}`);
  server = await startExample("user-management", { DATABASE_URL: url.href, PGAPPNAME: appName });
  cleanup.push(() => server.stop());
  client = await connectClient(server.url);
  cleanup.push(() => client.close());
});
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

type Answer = CallToolResult & { text: string; mark: Record<string, unknown> | undefined };

/** `create_user` as a client that sends an idempotency key (or none) in `_meta`. */
async function createUser(
  args: { name: string; email: string },
  key?: string,
  options: { signal?: AbortSignal } = {},
): Promise<Answer> {
  const result = (await client.callTool(
    { name: "create_user", arguments: args, ...(key ? { _meta: { [KEY]: key } } : {}) },
    undefined,
    options,
  )) as CallToolResult;
  const text = result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
  return { ...result, text, mark: result._meta?.[MARK] as Record<string, unknown> | undefined };
}

const usersWithEmail = async (email: string) =>
  (await admin.query(`SELECT id FROM ${schema}.users WHERE email = $1`, [email])).rows.map(
    (row: { id: number }) => row.id,
  );

/** How many statements of the servers with `application` wait for a lock. */
const waitingForLocks = async (application: string) =>
  (
    await admin.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
      [application],
    )
  ).rows[0].n as number;

/** Another session holds the users table: the servers' inserts wait, as behind a slow database. */
async function lockUsers() {
  const blocker = await admin.connect();
  await blocker.query("BEGIN");
  await blocker.query(`LOCK TABLE ${schema}.users IN SHARE ROW EXCLUSIVE MODE`);
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await blocker.query("COMMIT");
    blocker.release();
  };
  cleanup.push(release);
  return release;
}

const unique = (name: string) => `${name}-${randomUUID().slice(0, 8)}@example.com`;

describe("create_user with an idempotency key", () => {
  it("a retry with the same key answers with the user the first call created, marked replayed, and creates nobody", async () => {
    const key = randomUUID();
    const email = unique("barbara");
    const first = await createUser({ name: "Barbara Liskov", email }, key);
    expect(first.isError).toBeFalsy();
    expect(first.mark?.replayed).not.toBe(true);
    const user = JSON.parse(first.text) as { id: number; email: string };
    expect(user.email).toBe(email);

    const retry = await createUser({ name: "Barbara Liskov", email }, key);
    expect(retry.isError).toBeFalsy();
    expect(JSON.parse(retry.text)).toEqual(user);
    expect(retry.mark?.replayed).toBe(true);
    expect(await usersWithEmail(email)).toEqual([user.id]);
    // Counted as a replay, not as a second success.
    const metrics = (await get(`${server.url}/metrics`)).text;
    expect(metrics).toMatch(/mcp_tool_calls_total\{tool="create_user",status="replayed"\} [1-9]/);
    expect(metrics).toMatch(/mcp_idempotency_events_total\{[^}]*event="replayed"[^}]*\} [1-9]/);
  });

  it("the same key with other arguments is refused, and nothing is created", async () => {
    const key = randomUUID();
    const email = unique("ken");
    const first = await createUser({ name: "Ken Thompson", email }, key);
    expect(first.isError).toBeFalsy();
    const other = unique("dennis");
    const refused = await createUser({ name: "Dennis Ritchie", email: other }, key);
    expect(refused.isError).toBe(true);
    expect(refused.mark?.code).toBe("EIDEMPOTENCYMISMATCH");
    expect(await usersWithEmail(other)).toEqual([]);
    expect(await usersWithEmail(email)).toHaveLength(1);
  });

  it("without a key a second call is a new request, answered as before: the email is taken", async () => {
    const email = unique("grace");
    const first = await createUser({ name: "Grace Hopper", email });
    expect(first.isError).toBeFalsy();
    const second = await createUser({ name: "Grace Hopper", email });
    expect(second).toMatchObject({
      isError: true,
      text: `A user with email ${email} already exists.`,
    });
    expect(second.mark).toBeUndefined();
    // A new key is a new request too: the email is still taken.
    const keyed = await createUser({ name: "Grace Hopper", email }, randomUUID());
    expect(keyed).toMatchObject({
      isError: true,
      text: `A user with email ${email} already exists.`,
    });
    expect(await usersWithEmail(email)).toHaveLength(1);
  });

  it("the first call completes after the client gave up; the retry with the same key answers with the user it created", async () => {
    const key = randomUUID();
    const email = unique("edsger");
    const args = { name: "Edsger Dijkstra", email };
    const release = await lockUsers();
    const clientTimeout = new AbortController();
    const gaveUp = createUser(args, key, { signal: clientTimeout.signal });
    await waitFor(async () => (await waitingForLocks(appName)) === 1, {
      timeoutMs: 30_000,
      what: "the insert to wait for the lock",
    });
    // The client's timeout fires while the insert waits: it gives up on the call.
    clientTimeout.abort(new DOMException("The operation timed out.", "TimeoutError"));
    await expect(gaveUp).rejects.toThrow(/timed out/);
    expect(await usersWithEmail(email)).toEqual([]);
    await release();
    // The server's call was not cancelled with the client's: it completes on its own.
    await waitFor(async () => (await usersWithEmail(email)).length === 1, {
      timeoutMs: 30_000,
      what: "the first call to create the user",
    });
    const [id] = await usersWithEmail(email);

    const retry = await createUser(args, key);
    expect(retry.isError).toBeFalsy();
    expect(JSON.parse(retry.text)).toMatchObject({ id, email, name: "Edsger Dijkstra" });
    expect(retry.mark?.replayed).toBe(true);
    expect(await usersWithEmail(email)).toEqual([id]);
  });

  it("a duplicate that arrives while the first call runs waits for it and answers with the same user", async () => {
    const key = randomUUID();
    const email = unique("barbara-w");
    const args = { name: "Barbara Wait", email };
    const release = await lockUsers();
    const first = createUser(args, key);
    await waitFor(async () => (await waitingForLocks(appName)) === 1, {
      timeoutMs: 30_000,
      what: "the first insert to wait for the lock",
    });
    const duplicate = createUser(args, key);
    // The duplicate waits on the first call's uncommitted idempotency record.
    await waitFor(async () => (await waitingForLocks(appName)) === 2, {
      timeoutMs: 30_000,
      what: "the duplicate to wait for the first call",
    });
    await release();
    const [a, b] = await Promise.all([first, duplicate]);
    expect(a.isError).toBeFalsy();
    expect(a.mark).toBeUndefined();
    expect(b.isError).toBeFalsy();
    expect(b.text).toBe(a.text);
    expect(b.mark?.replayed).toBe(true);
    expect(await usersWithEmail(email)).toEqual([JSON.parse(a.text).id]);
  });

  it("a server killed in the middle of create_user leaves neither the user nor the key: the retry creates the user once", async () => {
    const key = randomUUID();
    const email = unique("killed");
    const args = { name: "Killed Midway", email };
    const doomedApp = `${appName}-doomed`;
    const url = new URL(databaseUrl());
    url.searchParams.set("options", `-c search_path=${schema}`);
    const doomed = await startExample("user-management", {
      DATABASE_URL: url.href,
      PGAPPNAME: doomedApp,
    });
    cleanup.push(() => doomed.stop());
    const doomedClient = await connectClient(doomed.url);
    const release = await lockUsers();
    const lost = doomedClient
      .callTool({ name: "create_user", arguments: args, _meta: { [KEY]: key } })
      .catch((error: unknown) => error);
    await waitFor(async () => (await waitingForLocks(doomedApp)) === 1, {
      timeoutMs: 30_000,
      what: "the insert to wait for the lock",
    });
    expect(await doomed.stop("SIGKILL")).toBeNull();
    // The client never gets an answer: it gives up (closing rejects the call in flight).
    await doomedClient.close();
    expect(await lost).toBeInstanceOf(Error);
    // The insert runs once the lock is free, but its transaction never commits: PostgreSQL
    // rolls it back when it finds the connection gone.
    await release();
    await waitFor(
      async () =>
        (
          await admin.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1",
            [doomedApp],
          )
        ).rows[0].n === 0,
      { timeoutMs: 30_000, what: "the killed server's connections to close" },
    );
    expect(await usersWithEmail(email)).toEqual([]);

    const retry = await createUser(args, key);
    expect(retry.isError).toBeFalsy();
    expect(retry.mark).toBeUndefined();
    const user = JSON.parse(retry.text) as { id: number };
    expect(await usersWithEmail(email)).toEqual([user.id]);
    const again = await createUser(args, key);
    expect(again.mark?.replayed).toBe(true);
    expect(JSON.parse(again.text)).toEqual(user);
  });
});
