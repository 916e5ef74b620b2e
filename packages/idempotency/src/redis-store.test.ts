import {
  createTcpProxy,
  deferred,
  redisUrl,
  serveInMemory,
  startRedis,
  textResult as text,
} from "@mcp-prod/testkit";
import { Redis } from "ioredis";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { z } from "zod";
import { callWithKey, testPrefix, testRedis } from "./idempotency.test-helpers.ts";
import {
  createRedisStore,
  IDEMPOTENCY_META_KEY,
  type IdempotencyStore,
  type WithIdempotencyOptions,
  withIdempotency,
} from "./index.ts";

function cleanUp(redis: Redis, prefix: string): void {
  onTestFinished(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  });
}

async function serveSend(
  store: IdempotencyStore,
  handler: (to: string) => Promise<string>,
  options: WithIdempotencyOptions = {},
) {
  const { client } = await serveInMemory((server) => {
    server.registerTool(
      "send",
      { inputSchema: { to: z.string() } },
      withIdempotency(async ({ to }) => text(await handler(to)), {
        store,
        name: "send",
        ...options,
      } as never),
    );
  });
  return client;
}

describe("createRedisStore", () => {
  it("answers a duplicate with the stored result and refuses another call's arguments", async () => {
    const redis = testRedis();
    const prefix = testPrefix();
    cleanUp(redis, prefix);
    let sent = 0;
    const client = await serveSend(createRedisStore({ redis, prefix }), async (to) => {
      sent += 1;
      return `sent to ${to}`;
    });
    await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    const second = await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    const other = await client.callTool(callWithKey("send", { to: "bob" }, "k1"));
    expect(second).toEqual({
      content: [{ type: "text", text: "sent to ada" }],
      _meta: { [IDEMPOTENCY_META_KEY]: { replayed: true } },
    });
    expect(other._meta?.[IDEMPOTENCY_META_KEY]).toEqual({ code: "EIDEMPOTENCYMISMATCH" });
    expect(sent).toBe(1);
    const keys = await redis.keys(`${prefix}*`);
    expect(keys).toHaveLength(1);
    // The key is a digest: neither the client's key nor the arguments are in Redis' key space.
    expect(keys[0]).toMatch(new RegExp(`^${prefix}[0-9a-f]{64}$`));
    expect(await redis.pttl(keys[0] as string)).toBeGreaterThan(86_000_000);
  });

  it("replays in one round trip and takes a key in two", async () => {
    const redis = testRedis();
    const prefix = testPrefix();
    cleanUp(redis, prefix);
    const monitor = new Redis(redisUrl());
    onTestFinished(() => {
      monitor.disconnect();
    });
    const client = await serveSend(createRedisStore({ redis, prefix }), async () => "sent");
    const commands: string[] = [];
    const counting = await monitor.monitor();
    onTestFinished(() => {
      counting.disconnect();
    });
    // Commands a script runs show up too, with source "lua": only the client's own count.
    counting.on("monitor", (_time: string, args: string[], source: string) => {
      if (!String(source).includes("lua") && args.some((arg) => String(arg).startsWith(prefix)))
        commands.push(String(args[0]).toLowerCase());
    });
    await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    await vi.waitFor(() => expect(commands).toHaveLength(2));
    await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    await vi.waitFor(() => expect(commands).toHaveLength(3));
    // SET NX GET then the script storing the result; the replay is one SET NX GET.
    expect(commands[0]).toBe("set");
    expect(["evalsha", "eval"]).toContain(commands[1]);
    expect(commands[2]).toBe("set");
  });

  it("lets a call run again once an in-progress record left by a dead process expires", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const redis = testRedis();
    const prefix = testPrefix();
    cleanUp(redis, prefix);
    const never = deferred<void>();
    let started = 0;
    const client = await serveSend(
      createRedisStore({ redis, prefix }),
      async () => {
        started += 1;
        if (started === 1) await never.promise;
        return "sent";
      },
      { inProgressTtlMs: 600_000, waitTimeoutMs: 60_000 },
    );
    void client.callTool(callWithKey("send", { to: "ada" }, "k1")).catch(() => undefined);
    await vi.waitFor(() => expect(started).toBe(1));
    vi.setSystemTime(Date.now() + 600_001);
    expect(await client.callTool(callWithKey("send", { to: "ada" }, "k1"))).toEqual(text("sent"));
    expect(started).toBe(2);
    never.resolve();
  });

  it("fails closed on a hung Redis without running the call, and without hanging", async () => {
    const proxy = await createTcpProxy({ port: Number(new URL(redisUrl()).port || 6379) });
    onTestFinished(() => proxy.close());
    const redis = testRedis(`redis://127.0.0.1:${proxy.port}`);
    await redis.ping();
    const prefix = testPrefix();
    const store = createRedisStore({ redis, prefix });
    const errors: string[] = [];
    store.on("storeError", ({ operation }) => errors.push(operation));
    let calls = 0;
    const client = await serveSend(
      store,
      async () => {
        calls += 1;
        return "sent";
      },
      { storeTimeoutMs: 50 },
    );
    proxy.freeze();
    const result = await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    expect(result.isError).toBe(true);
    expect(result._meta?.[IDEMPOTENCY_META_KEY]).toEqual({ code: "EIDEMPOTENCYSTORE" });
    expect(calls).toBe(0);
    expect(errors).toEqual(["claim"]);
    proxy.unfreeze();
  });

  it('fails open on a stopped Redis with storeErrors: "open", running the call', async () => {
    const server = await startRedis();
    onTestFinished(() => server.stop());
    // Commands sent while the server is gone wait in ioredis' offline queue: only the store's deadline ends them.
    const redis = new Redis(server.url, { maxRetriesPerRequest: 0 });
    onTestFinished(() => {
      redis.disconnect();
    });
    await redis.ping();
    const store = createRedisStore({ redis, prefix: testPrefix() });
    let calls = 0;
    const client = await serveSend(
      store,
      async () => {
        calls += 1;
        return "sent";
      },
      { storeErrors: "open", storeTimeoutMs: 200 },
    );
    await server.kill();
    expect(await client.callTool(callWithKey("send", { to: "ada" }, "k1"))).toEqual(text("sent"));
    expect(calls).toBe(1);
  });

  it("refuses unknown options with a did-you-mean", () => {
    const redis = { evalsha: async () => null, eval: async () => null, set: async () => null };
    expect(() => createRedisStore({ redis, prefx: "x" } as never)).toThrow(
      "did you mean `prefix`?",
    );
    expect(() => createRedisStore({ client: redis } as never)).toThrow("use `redis`");
    expect(() => createRedisStore({ redis: {} as never })).toThrow(TypeError);
  });
});
