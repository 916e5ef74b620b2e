import { randomUUID } from "node:crypto";
import { createTcpProxy, databaseUrl, waitFor } from "@mcp-prod/testkit";
import {
  call,
  connectClient,
  get,
  postMcp,
  type RunningExample,
  startExample,
} from "@mcp-prod-examples/kit/testing";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const schema = `e2e_users_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const appName = `user-management-e2e-${schema}`;
const admin = new pg.Pool({ connectionString: databaseUrl(), max: 2 });

/** DATABASE_URL pointing the server at its own schema, optionally through another host:port. */
function schemaUrl(port?: number): string {
  const url = new URL(databaseUrl());
  if (port) {
    url.hostname = "127.0.0.1";
    url.port = String(port);
  }
  url.searchParams.set("options", `-c search_path=${schema}`);
  return url.href;
}

const cleanup: Array<() => Promise<unknown>> = [];
beforeAll(async () => {
  await admin.query(`CREATE SCHEMA ${schema}`);
});
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

describe("user-management-mcp against the real PostgreSQL", () => {
  let server: RunningExample;
  let client: Client;

  beforeAll(async () => {
    // 200 clients share 20 connections: a call may queue for a connection longer than the
    // default 2 s on a loaded 2-core machine, so the wait is raised here (the pool still fails fast past it).
    server = await startExample("user-management", {
      DATABASE_URL: schemaUrl(),
      PGAPPNAME: appName,
      DATABASE_CONNECT_TIMEOUT_MS: "30000",
    });
    cleanup.push(() => server.stop());
    client = await connectClient(server.url);
    cleanup.push(() => client.close());
  });

  it("creates its table on start and answers every tool", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      "create_user",
      "get_user",
      "search_users",
    ]);

    const created = await call(client, "create_user", {
      name: "Barbara Liskov",
      email: "Barbara@Example.com",
    });
    expect(created.isError).toBeFalsy();
    const user = JSON.parse(created.text) as { id: number; email: string; name: string };
    expect(user).toMatchObject({ name: "Barbara Liskov", email: "barbara@example.com" });

    const found = JSON.parse((await call(client, "search_users", { query: "liskov" })).text) as {
      users: { id: number }[];
      count: number;
    };
    expect(found.count).toBe(1);
    expect(found.users[0]?.id).toBe(user.id);

    expect(JSON.parse((await call(client, "get_user", { id: user.id })).text)).toMatchObject({
      id: user.id,
      name: "Barbara Liskov",
    });
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM ${schema}.users`);
    expect(rows[0].n).toBe(4);
  });

  it("answers bad input with a readable isError result", async () => {
    const badEmail = await call(client, "create_user", { name: "X", email: "not-an-email" });
    expect(badEmail.isError).toBe(true);
    expect(badEmail.text).toMatch(/email/i);
    const badId = await call(client, "get_user", { id: -1 });
    expect(badId.isError).toBe(true);
    expect(badId.text).toMatch(/id/);
    const missing = await call(client, "get_user", { id: 987_654 });
    expect(missing).toMatchObject({ isError: true, text: "No user with id 987654." });
    const duplicate = await call(client, "create_user", {
      name: "Ada again",
      email: "ada@example.com",
    });
    expect(duplicate).toMatchObject({
      isError: true,
      text: "A user with email ada@example.com already exists.",
    });
  });

  it("refuses a rebound Host or a foreign Origin before any tool runs (DNS rebinding)", async () => {
    const createUser = (email: string) => ({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "create_user", arguments: { name: "Mallory", email } },
    });
    const rebound = await postMcp(server.url, createUser("rebound@example.com"), {
      host: "evil.example.com",
    });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.text).error.message).toBe("Host evil.example.com is not allowed");
    const port = new URL(server.url).port;
    const foreign = await postMcp(server.url, createUser("foreign@example.com"), {
      host: `localhost:${port}`,
      origin: "http://evil.example.com",
    });
    expect(foreign.status).toBe(403);
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM ${schema}.users WHERE name = 'Mallory'`,
    );
    expect(rows[0].n).toBe(0);
    const local = await postMcp(server.url, createUser("local@example.com"), {
      host: `localhost:${port}`,
      origin: `http://localhost:${port}`,
    });
    expect(local.status).toBe(200);
    expect(local.text).toContain("local@example.com");
  });

  it("refuses input that does not fit the columns before it reaches PostgreSQL", async () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ["get_user", { id: 2 ** 31 }, /id/],
      ["search_users", { query: "a\u0000b" }, /query/],
      ["create_user", { name: "Nul\u0000", email: "nul@example.com" }, /name/],
      ["create_user", { name: "Long", email: `${"a".repeat(300_000)}@example.com` }, /email/],
      ["create_user", { name: "x".repeat(201), email: "long-name@example.com" }, /name/],
    ];
    for (const [tool, args, field] of cases) {
      const result = await call(client, tool, args);
      expect(result.isError, tool).toBe(true);
      expect(result.text).toMatch(field);
      expect(result.text).not.toMatch(/out of range|invalid byte|btree|index row|users_email/);
    }
    // The largest id the column holds is still a valid question.
    const largest = await call(client, "get_user", { id: 2 ** 31 - 1 });
    expect(largest).toMatchObject({ isError: true, text: `No user with id ${2 ** 31 - 1}.` });
  });

  it("answers a database error with a client-safe message and logs the details", async () => {
    await admin.query(`ALTER TABLE ${schema}.users RENAME TO users_moved`);
    try {
      const result = await call(client, "search_users", { query: "ada" });
      expect(result.isError).toBe(true);
      expect(result.text).toBe("The database could not answer this call. Try again later.");
      await waitFor(
        () =>
          server.logs.some(
            (line) =>
              line.event === "tool_called" &&
              line.tool === "search_users" &&
              JSON.stringify(line.err ?? null).includes("does not exist"),
          ),
        { what: "the database's own message in the log" },
      );
    } finally {
      await admin.query(`ALTER TABLE ${schema}.users_moved RENAME TO users`);
    }
  });

  it("prints one service key per log line", async () => {
    await call(client, "get_user", { id: 1 });
    const toolLines = server.lines.filter((line) => line.includes('"tool_called"'));
    expect(toolLines.length).toBeGreaterThan(0);
    for (const line of server.lines.filter((each) => each.startsWith("{")))
      expect(line.match(/"service":/g), line).toHaveLength(1);
  });

  it("counts the calls just made on /metrics", async () => {
    const before = await get(`${server.url}/metrics`);
    const count = (text: string, status: string) =>
      Number(
        new RegExp(`mcp_tool_calls_total\\{tool="search_users",status="${status}"\\} (\\d+)`).exec(
          text,
        )?.[1] ?? 0,
      );
    await call(client, "search_users", { query: "a" });
    await call(client, "search_users", { query: "b" });
    const after = await get(`${server.url}/metrics`);
    expect(count(after.text, "success") - count(before.text, "success")).toBe(2);
    expect(after.text).toMatch(/mcp_tool_duration_seconds_bucket\{le="0.01",tool="search_users"\}/);
  });

  it("recovers when PostgreSQL terminates its connections", async () => {
    const { rows } = await admin.query(
      "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1",
      [appName],
    );
    expect(rows.length).toBeGreaterThan(0);
    const result = await call(client, "search_users", { query: "grace" });
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(result.text).count).toBe(1);
  });

  it("serves 200 concurrent clients × 20 calls with no call lost and no error", {
    timeout: 240_000,
  }, async () => {
    const clients = await Promise.all(Array.from({ length: 200 }, () => connectClient(server.url)));
    cleanup.push(() => Promise.all(clients.map((each) => each.close())));
    const results = await Promise.all(
      clients.map(async (each, index) => {
        const answers = [];
        for (let turn = 0; turn < 20; turn += 1) {
          answers.push(
            turn % 2 === 0
              ? await call(each, "get_user", { id: 1 + ((index + turn) % 3) })
              : await call(each, "search_users", { query: "a", limit: 5 }),
          );
        }
        return answers;
      }),
    );
    const flat = results.flat();
    expect(flat).toHaveLength(4000);
    expect(flat.filter((result) => result.isError)).toEqual([]);
    expect(
      flat
        .filter((_result, index) => index % 2 === 0)
        .every((result) => JSON.parse(result.text).id > 0),
    ).toBe(true);
  });
});

describe("user-management-mcp health follows the database", () => {
  it("reports not ready while PostgreSQL is unreachable and ready again after", async () => {
    const target = new URL(databaseUrl());
    const proxy = await createTcpProxy({
      host: target.hostname,
      port: Number(target.port || 5432),
    });
    cleanup.push(() => proxy.close());
    const server = await startExample("user-management", {
      DATABASE_URL: schemaUrl(proxy.port),
      PGAPPNAME: `${appName}-proxy`,
    });
    cleanup.push(() => server.stop());
    expect((await get(`${server.url}/health/ready`)).status).toBe(200);
    proxy.down();
    await waitFor(async () => (await get(`${server.url}/health/ready`)).status === 503, {
      timeoutMs: 15_000,
      intervalMs: 200,
      what: "readiness to turn 503",
    });
    // A call meanwhile fails with a message that names neither the database's address nor the pool.
    const down = await connectClient(server.url);
    cleanup.push(() => down.close());
    const failed = await call(down, "get_user", { id: 1 });
    expect(failed.isError).toBe(true);
    expect(failed.text).toMatch(/^The database (could not answer|is unavailable)/);
    expect(failed.text).not.toContain(String(proxy.port));
    expect(failed.text).not.toMatch(/127\.0\.0\.1|pool|idle|waiting|total/i);
    const live = await get(`${server.url}/health/live`);
    expect(live.status).toBe(200);
    proxy.up();
    await waitFor(async () => (await get(`${server.url}/health/ready`)).status === 200, {
      timeoutMs: 15_000,
      intervalMs: 200,
      what: "readiness to recover",
    });
    const client = await connectClient(server.url);
    cleanup.push(() => client.close());
    expect((await call(client, "get_user", { id: 1 })).isError).toBeFalsy();
  });
});

describe("user-management-mcp on embedded defaults", () => {
  it("starts an embedded PostgreSQL when DATABASE_URL is unset and answers its tools", async () => {
    const server = await startExample("user-management", {}, { timeoutMs: 60_000 });
    cleanup.push(() => server.stop());
    expect(server.logs.find((line) => line.event === "server_started")?.database).toMatch(
      /embedded PGlite/,
    );
    const client = await connectClient(server.url);
    cleanup.push(() => client.close());
    const created = await call(client, "create_user", {
      name: "Edsger Dijkstra",
      email: `edsger-${randomUUID()}@example.com`,
    });
    expect(created.isError).toBeFalsy();
    const found = JSON.parse((await call(client, "search_users", { query: "dijkstra" })).text);
    expect(found.count).toBe(1);
    expect((await get(`${server.url}/health/ready`)).status).toBe(200);
    expect(await server.stop()).toBe(0);
  });
});
