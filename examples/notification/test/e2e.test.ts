import { waitFor } from "@mcp-prod/testkit";
import {
  call,
  connectClient,
  createTestSchema,
  get,
  type RunningExample,
  startExample,
} from "@mcp-prod-examples/kit/testing";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { type Provider, startProvider } from "../src/provider/server.ts";
import { freePort, send } from "./helpers.ts";

const EMAIL = { channel: "email", to: "ada@example.com", subject: "Hello", body: "First message" };

describe("notification-mcp on PostgreSQL", () => {
  let provider: Provider;
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let server: RunningExample;
  let client: Client;
  const start = (env: Record<string, string> = {}) =>
    startExample("notification", {
      DATABASE_URL: schema.url,
      PROVIDER_URL: provider.url,
      DISPATCH_INTERVAL_MS: "100",
      ...env,
    });

  beforeAll(async () => {
    provider = await startProvider();
    schema = await createTestSchema("notify");
    server = await start();
    client = await connectClient(server.url);
  });

  afterAll(async () => {
    await client?.close();
    await server?.stop();
    await schema?.drop();
    await provider?.close();
  });

  it("lists its three tools, send_notification marked as not idempotent by itself", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      "get_notification",
      "list_notifications",
      "send_notification",
    ]);
    const sendTool = tools.find((tool) => tool.name === "send_notification");
    expect(sendTool?.annotations).toMatchObject({ idempotentHint: false, readOnlyHint: false });
    expect(sendTool?.description).toContain("mcp-prod/idempotency-key");
  });

  it("accepts a notification at once and delivers it to the provider with its id as the key", async () => {
    const answer = await send(client, EMAIL, undefined);
    expect(answer.isError).toBeFalsy();
    const accepted = JSON.parse(answer.text) as { id: string; status: string };
    expect(accepted.status).toBe("accepted");
    await waitFor(() => provider.deliveries().has(accepted.id), { what: "the delivery" });
    expect(provider.deliveries().get(accepted.id)).toMatchObject({
      channel: "email",
      to: "ada@example.com",
      subject: "Hello",
      body: "First message",
      received: 1,
    });
    await waitFor(
      async () =>
        JSON.parse((await call(client, "get_notification", { id: accepted.id })).text).status ===
        "delivered",
      { what: "the notification to be marked delivered" },
    );
    const read = JSON.parse((await call(client, "get_notification", { id: accepted.id })).text);
    expect(read).toMatchObject({
      id: accepted.id,
      status: "delivered",
      attempts: 1,
      lastError: null,
    });
  });

  it("lists notifications by recipient and status", async () => {
    await send(
      client,
      { channel: "webhook", to: "https://hooks.example.com/a", body: "{}" },
      undefined,
    );
    const listed = JSON.parse(
      (await call(client, "list_notifications", { to: "https://hooks.example.com/a", limit: 5 }))
        .text,
    ) as { notifications: { to: string; channel: string }[]; count: number };
    expect(listed.count).toBe(1);
    expect(listed.notifications[0]).toMatchObject({
      channel: "webhook",
      to: "https://hooks.example.com/a",
    });
    const failed = JSON.parse(
      (await call(client, "list_notifications", { status: "failed", limit: 5 })).text,
    ) as { count: number };
    expect(failed.count).toBe(0);
  });

  it("refuses a recipient that does not fit the channel, and bad input, as readable errors", async () => {
    const wrong = await send(
      client,
      { channel: "email", to: "not-an-address", body: "x" },
      undefined,
    );
    expect(wrong.isError).toBe(true);
    expect(wrong.text).toContain("is not an email address");
    const hook = await send(
      client,
      { channel: "webhook", to: "ftp://example.com", body: "x" },
      undefined,
    );
    expect(hook.text).toContain("http(s) URL");
    const bad = await call(client, "get_notification", { id: "42" });
    expect(bad.isError).toBe(true);
    const missing = await call(client, "get_notification", {
      id: "00000000-0000-4000-8000-000000000000",
    });
    expect(missing.text).toContain("No notification with id");
  });

  it("answers a retried send with the same key with the first call's id, marked replayed", async () => {
    const key = `retry-${Date.now()}`;
    const first = await send(client, { ...EMAIL, body: "Once" }, key);
    const again = await send(client, { ...EMAIL, body: "Once" }, key);
    const id = JSON.parse(first.text).id as string;
    expect(JSON.parse(again.text).id).toBe(id);
    expect(first._meta?.["mcp-prod/idempotency"]).toBeUndefined();
    expect(again._meta?.["mcp-prod/idempotency"]).toMatchObject({ replayed: true });
    const listed = JSON.parse(
      (await call(client, "list_notifications", { to: EMAIL.to, limit: 100 })).text,
    ) as { notifications: { id: string }[] };
    expect(listed.notifications.filter((n) => n.id === id)).toHaveLength(1);
  });

  it("refuses the same key with other arguments", async () => {
    const key = `mismatch-${Date.now()}`;
    await send(client, { ...EMAIL, body: "One" }, key);
    const other = await send(client, { ...EMAIL, body: "Another" }, key);
    expect(other.isError).toBe(true);
    expect(other._meta?.["mcp-prod/idempotency"]).toMatchObject({ code: "EIDEMPOTENCYMISMATCH" });
  });

  it("reports the outbox in readiness and its deliveries in /metrics", async () => {
    const ready = await get(`${server.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      checks: { database: "healthy", outbox: "healthy" },
      details: { outbox: { observedValue: expect.any(Number), observedUnit: "notifications" } },
    });
    const metrics = await get(`${server.url}/metrics`);
    expect(metrics.text).toMatch(
      /notification_deliveries_total\{channel="email",outcome="delivered"\} \d+/,
    );
    expect(metrics.text).toMatch(
      /notification_delivery_attempts_total\{channel="email",result="ok"\} \d+/,
    );
    expect(metrics.text).toMatch(/notification_outbox_backlog \d+/);
  });

  it("delivers after a restart what a killed process had accepted, the provider deduplicating", async () => {
    const port = await freePort();
    // The provider is down: the notification stays in the outbox.
    const downProvider = `http://127.0.0.1:${await freePort()}`;
    // A schema of its own (the suite's server would deliver the row), and a short lease:
    // a row the killed process had claimed is due again soon after the restart.
    const own = await createTestSchema("notify_restart");
    onTestFinished(() => own.drop());
    const lease = { DATABASE_URL: own.url, SERVER_PORT: String(port), DISPATCH_LEASE_MS: "2000" };
    const first = await start({ ...lease, PROVIDER_URL: downProvider });
    const firstClient = await connectClient(first.url);
    const accepted = await send(firstClient, { ...EMAIL, body: "Survives" }, "restart-key");
    const id = JSON.parse(accepted.text).id as string;
    await firstClient.close();
    expect(await first.stop("SIGKILL")).toBeNull();
    expect(provider.deliveries().has(id)).toBe(false);

    const second = await start(lease);
    try {
      await waitFor(() => provider.deliveries().has(id), {
        what: "the delivery after the restart",
        timeoutMs: 30_000,
      });
      const secondClient = await connectClient(second.url);
      const replay = await send(secondClient, { ...EMAIL, body: "Survives" }, "restart-key");
      expect(JSON.parse(replay.text).id).toBe(id);
      await secondClient.close();
    } finally {
      await second.stop();
    }
    expect(provider.deliveries().get(id)?.received).toBe(1);
  });

  it("stops on SIGTERM with exit 0", async () => {
    const other = await start();
    expect(await other.stop("SIGTERM")).toBe(0);
  });
});

describe("the stand-in provider", () => {
  it("accepts a key once and counts the same key again as a duplicate", async () => {
    const provider = await startProvider();
    try {
      const post = (key: string) =>
        fetch(`${provider.url}/deliveries`, {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": key },
          body: JSON.stringify({ channel: "email", to: "a@example.com", body: "hi" }),
        }).then(async (response) => ({ status: response.status, body: await response.json() }));
      expect(await post("k1")).toEqual({ status: 202, body: { id: "k1", duplicate: false } });
      expect(await post("k1")).toEqual({ status: 200, body: { id: "k1", duplicate: true } });
      expect(await post("k2")).toMatchObject({ status: 202 });
      const stats = await fetch(`${provider.url}/stats`).then((response) => response.json());
      expect(stats).toEqual({ deliveries: 2, duplicates: 1, failures: 0, requests: 3 });
      provider.setKnobs({ failureRate: 1 });
      expect(await post("k3")).toMatchObject({ status: 503 });
      expect(provider.deliveries().has("k3")).toBe(false);
    } finally {
      await provider.close();
    }
  });
});

describe("under NODE_ENV=production", () => {
  it("refuses to start without DATABASE_URL and PROVIDER_URL, naming them", async () => {
    const failed = await startExample("notification", { NODE_ENV: "production" }).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(failed).toMatch(/exited with 1/);
    expect(failed).toContain("DATABASE_URL");
    expect(failed).toContain("PROVIDER_URL");
  });
});
