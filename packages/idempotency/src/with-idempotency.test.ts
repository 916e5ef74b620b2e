import { deferred, serveInMemory, serveInMemory2, textResult as text } from "@mcp-prod/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { callWithKey } from "./idempotency.test-helpers.ts";
import {
  compose,
  createMemoryStore,
  IDEMPOTENCY_META_KEY,
  type IdempotencyStore,
  type WithIdempotencyOptions,
  withIdempotency,
} from "./index.ts";

afterEach(() => {
  vi.useRealTimers();
});

function memoryStore(): IdempotencyStore {
  return createMemoryStore();
}

async function serveSend(
  handler: (args: {
    to: string;
  }) => Promise<{ content: Array<{ type: "text"; text: string }>; isError?: boolean }>,
  options: WithIdempotencyOptions<never> = {},
  authInfo?: { token: string; clientId: string; scopes: string[] },
) {
  const { client } = await serveInMemory(
    (server) => {
      server.registerTool(
        "send",
        { inputSchema: { to: z.string() } },
        withIdempotency(handler, { store: memoryStore(), ...options } as never),
      );
    },
    authInfo === undefined ? {} : { authInfo },
  );
  return client;
}

describe("withIdempotency", () => {
  it("runs the first call and answers a later duplicate with its stored result, marked replayed", async () => {
    let sent = 0;
    const client = await serveSend(async ({ to }) => {
      sent += 1;
      return text(`sent #${sent} to ${to}`);
    });
    const first = await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    const second = await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    expect(first).toEqual({ content: [{ type: "text", text: "sent #1 to ada" }] });
    expect(second).toEqual({
      content: [{ type: "text", text: "sent #1 to ada" }],
      _meta: { [IDEMPOTENCY_META_KEY]: { replayed: true } },
    });
    expect(sent).toBe(1);
  });

  it("lets a concurrent duplicate wait for the first call's result instead of failing", async () => {
    const release = deferred<void>();
    let sent = 0;
    const client = await serveSend(async ({ to }) => {
      sent += 1;
      await release.promise;
      return text(`sent to ${to}`);
    });
    const first = client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    await vi.waitFor(() => expect(sent).toBe(1));
    const second = client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    // Let the duplicate reach its wait before the first finishes.
    await new Promise((resolve) => setImmediate(resolve));
    release.resolve();
    const [a, b] = await Promise.all([first, second]);
    expect(a.content).toEqual([{ type: "text", text: "sent to ada" }]);
    expect(b.content).toEqual([{ type: "text", text: "sent to ada" }]);
    expect(b._meta?.[IDEMPOTENCY_META_KEY]).toMatchObject({ replayed: true });
    expect(sent).toBe(1);
  });

  it("refuses the same key with other arguments with EIDEMPOTENCYMISMATCH", async () => {
    let sent = 0;
    const store = memoryStore();
    const mismatches: string[] = [];
    store.on("mismatch", ({ tool }) => mismatches.push(tool));
    const client = await serveSend(
      async ({ to }) => {
        sent += 1;
        return text(`sent to ${to}`);
      },
      { store, name: "send" },
    );
    await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    const other = await client.callTool(callWithKey("send", { to: "bob" }, "k1"));
    expect(other.isError).toBe(true);
    expect(other._meta?.[IDEMPOTENCY_META_KEY]).toEqual({ code: "EIDEMPOTENCYMISMATCH" });
    expect(sent).toBe(1);
    expect(mismatches).toEqual(["send"]);
  });

  it("stores no thrown error: the duplicate runs again", async () => {
    let calls = 0;
    const client = await serveSend(async ({ to }) => {
      calls += 1;
      if (calls === 1) throw new Error("provider down");
      return text(`sent to ${to}`);
    });
    const first = await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    const second = await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    expect(first.isError).toBe(true);
    expect(second).toEqual({ content: [{ type: "text", text: "sent to ada" }] });
    expect(calls).toBe(2);
  });

  it("stores an isError result only with storeErrorResults, and never one a resilience wrapper made", async () => {
    const counts = { plain: 0, stored: 0, refused: 0 };
    const { client } = await serveInMemory((server) => {
      const store = memoryStore();
      server.registerTool(
        "plain",
        { inputSchema: { to: z.string() } },
        withIdempotency(
          async () => {
            counts.plain += 1;
            return { ...text("no such recipient"), isError: true };
          },
          { store },
        ),
      );
      server.registerTool(
        "stored",
        { inputSchema: { to: z.string() } },
        withIdempotency(
          async () => {
            counts.stored += 1;
            return { ...text("no such recipient"), isError: true };
          },
          { store, storeErrorResults: true },
        ),
      );
      server.registerTool(
        "refused",
        { inputSchema: { to: z.string() } },
        withIdempotency(
          async () => {
            counts.refused += 1;
            return {
              ...text("Server busy"),
              isError: true,
              _meta: { "mcp-prod/bulkhead": { rejected: true } },
            };
          },
          { store, storeErrorResults: true },
        ),
      );
    });
    for (const name of ["plain", "stored", "refused"]) {
      await client.callTool(callWithKey(name, { to: "ada" }, "k1"));
      await client.callTool(callWithKey(name, { to: "ada" }, "k1"));
    }
    expect(counts).toEqual({ plain: 2, stored: 1, refused: 2 });
  });

  it("runs a call without a key as it would unwrapped, unless keyFromArguments opts in", async () => {
    const counts = { bare: 0, digest: 0 };
    const { client } = await serveInMemory((server) => {
      const store = memoryStore();
      server.registerTool(
        "bare",
        { inputSchema: { to: z.string() } },
        withIdempotency(
          async () => {
            counts.bare += 1;
            return text("ok");
          },
          { store },
        ),
      );
      server.registerTool(
        "digest",
        { inputSchema: { to: z.string(), cc: z.string() } },
        withIdempotency(
          async () => {
            counts.digest += 1;
            return text("ok");
          },
          { store, keyFromArguments: true },
        ),
      );
    });
    await client.callTool({ name: "bare", arguments: { to: "ada" } });
    await client.callTool({ name: "bare", arguments: { to: "ada" } });
    await client.callTool({ name: "digest", arguments: { to: "ada", cc: "bob" } });
    const again = await client.callTool({ name: "digest", arguments: { cc: "bob", to: "ada" } });
    await client.callTool({ name: "digest", arguments: { to: "ada", cc: "eve" } });
    expect(counts).toEqual({ bare: 2, digest: 2 });
    expect(again._meta?.[IDEMPOTENCY_META_KEY]).toEqual({ replayed: true });
  });

  it("takes the key from `key(args, extra)` over the client's", async () => {
    let sent = 0;
    const client = await serveSend(
      async () => {
        sent += 1;
        return text(`sent #${sent}`);
      },
      { key: ({ to }: { to: string }) => `to:${to}` } as never,
    );
    await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    const second = await client.callTool(callWithKey("send", { to: "ada" }, "k2"));
    expect(second.content).toEqual([{ type: "text", text: "sent #1" }]);
    expect(sent).toBe(1);
  });

  it("scopes keys by the caller's identity: two clients with one key each get their own result", async () => {
    const store = memoryStore();
    const sentBy: string[] = [];
    const register = (server: Parameters<Parameters<typeof serveInMemory>[0]>[0]) => {
      server.registerTool(
        "send",
        { inputSchema: { to: z.string() } },
        withIdempotency(
          async ({ to }, extra) => {
            sentBy.push(String(extra.authInfo?.clientId));
            return text(`sent to ${to} for ${extra.authInfo?.clientId}`);
          },
          { store },
        ),
      );
    };
    const { client: alice } = await serveInMemory(register, {
      authInfo: { token: "t1", clientId: "alice", scopes: [] },
    });
    const { client: mallory } = await serveInMemory(register, {
      authInfo: { token: "t2", clientId: "mallory", scopes: [] },
    });
    await alice.callTool(callWithKey("send", { to: "ada" }, "shared"));
    const theirs = await mallory.callTool(callWithKey("send", { to: "ada" }, "shared"));
    const again = await alice.callTool(callWithKey("send", { to: "ada" }, "shared"));
    expect(theirs.content).toEqual([{ type: "text", text: "sent to ada for mallory" }]);
    expect(again.content).toEqual([{ type: "text", text: "sent to ada for alice" }]);
    expect(sentBy).toEqual(["alice", "mallory"]);
  });

  it("lets a call run again once the in-progress record of one that never finished expires", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const never = deferred<void>();
    let started = 0;
    const client = await serveSend(
      async ({ to }) => {
        started += 1;
        if (started === 1) await never.promise;
        return text(`sent to ${to}`);
      },
      { inProgressTtlMs: 60_000, waitTimeoutMs: 120_000 },
    );
    void client.callTool(callWithKey("send", { to: "ada" }, "k1")).catch(() => undefined);
    await vi.waitFor(() => expect(started).toBe(1));
    vi.setSystemTime(Date.now() + 60_001);
    const second = await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    expect(second).toEqual({ content: [{ type: "text", text: "sent to ada" }] });
    expect(started).toBe(2);
    never.resolve();
  });

  it("answers EIDEMPOTENCYINPROGRESS when the first call outlasts waitTimeoutMs", async () => {
    const release = deferred<void>();
    let started = 0;
    const store = memoryStore();
    const events: string[] = [];
    store.on("inProgress", () => events.push("inProgress"));
    const client = await serveSend(
      async () => {
        started += 1;
        await release.promise;
        return text("sent");
      },
      { store, waitTimeoutMs: 20 },
    );
    const first = client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    await vi.waitFor(() => expect(started).toBe(1));
    const second = await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    expect(second.isError).toBe(true);
    expect(second._meta?.[IDEMPOTENCY_META_KEY]).toMatchObject({ code: "EIDEMPOTENCYINPROGRESS" });
    expect(events).toEqual(["inProgress"]);
    release.resolve();
    await first;
    expect(started).toBe(1);
  });

  it("returns but does not store a result above maxResultBytes, with a notStored event", async () => {
    const store = memoryStore();
    const notStored: unknown[] = [];
    store.on("notStored", (event) => notStored.push(event));
    let calls = 0;
    const client = await serveSend(
      async () => {
        calls += 1;
        return text("x".repeat(200));
      },
      { store, name: "send", maxResultBytes: 100 },
    );
    const first = await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    expect(first.content).toEqual([{ type: "text", text: "x".repeat(200) }]);
    expect(calls).toBe(2);
    const event = {
      tool: "send",
      reason: "tooLarge",
      bytes: JSON.stringify(text("x".repeat(200))).length,
    };
    expect(notStored).toEqual([event, event]);
  });

  it("emits replayed and waited on the store", async () => {
    const store = memoryStore();
    const events: Array<[string, string]> = [];
    store.on("replayed", ({ tool }) => events.push(["replayed", tool]));
    const client = await serveSend(async () => text("sent"), { store, name: "send" });
    await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    expect(events).toEqual([["replayed", "send"]]);
  });

  it("works on SDK 2.x", async () => {
    let sent = 0;
    const { client } = await serveInMemory2((server) => {
      server.registerTool(
        "send",
        { inputSchema: z.object({ to: z.string() }) },
        withIdempotency(
          async ({ to }: { to: string }) => {
            sent += 1;
            return text(`sent to ${to}`);
          },
          { store: memoryStore() },
        ),
      );
    });
    await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    const second = await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    expect(second._meta?.[IDEMPOTENCY_META_KEY]).toEqual({ replayed: true });
    expect(sent).toBe(1);
  });

  it("refuses unknown options with a did-you-mean, and other libraries' names with ours", () => {
    const handler = async () => text("ok");
    expect(() => withIdempotency(handler, { ttlSecond: 5 } as never)).toThrow(
      "Unknown option `ttlSecond` in withIdempotency(); did you mean `ttlSeconds`?",
    );
    expect(() => withIdempotency({ persistenceStore: {} } as never)).toThrow(
      "Unknown option `persistenceStore` in withIdempotency(): use `store`",
    );
    expect(() => withIdempotency(handler, { waitTimeoutMs: -1 })).toThrow(TypeError);
    expect(() => withIdempotency(handler, { storeErrors: "maybe" } as never)).toThrow(TypeError);
    expect(() => createMemoryStore({ nam: "x" } as never)).toThrow("did you mean `name`?");
  });

  it("answers EIDEMPOTENCYCLOSED on a closed store without running the call", async () => {
    const store = memoryStore();
    let calls = 0;
    const client = await serveSend(
      async () => {
        calls += 1;
        return text("sent");
      },
      { store },
    );
    await store.close();
    const result = await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    expect(result._meta?.[IDEMPOTENCY_META_KEY]).toEqual({ code: "EIDEMPOTENCYCLOSED" });
    expect(calls).toBe(0);
  });
});

describe("withIdempotency as a policy", () => {
  it("keys by the tool's name under compose, between fallback and retry", async () => {
    const { withFallback } = await import("@mcp-prod/fallback");
    const { withRetry } = await import("@mcp-prod/retry");
    let sent = 0;
    const store = memoryStore();
    const { client } = await serveInMemory((server) => {
      server.registerTool(
        "send",
        { inputSchema: { to: z.string() }, annotations: { idempotentHint: true } },
        compose(
          "send",
          async ({ to }: { to: string }) => {
            sent += 1;
            return text(`sent to ${to}`);
          },
          withFallback(text("degraded")),
          withIdempotency({ store }),
          withRetry({ idempotent: true, attempts: 2 }),
        ),
      );
    });
    await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    const second = await client.callTool(callWithKey("send", { to: "ada" }, "k1"));
    expect(second._meta?.[IDEMPOTENCY_META_KEY]).toEqual({ replayed: true });
    expect(sent).toBe(1);
  });

  it("is refused outside the fallback or inside retry", async () => {
    const { withFallback } = await import("@mcp-prod/fallback");
    const { withRetry } = await import("@mcp-prod/retry");
    const handler = async () => text("ok");
    expect(() =>
      compose("send", handler, withIdempotency(), withFallback(text("degraded"))),
    ).toThrow(
      /compose\("send"\) puts fallback inside idempotency; the order is telemetry → ratelimit → fallback → idempotency → retry/,
    );
    expect(() =>
      compose("send", handler, withRetry({ idempotent: true, attempts: 2 }), withIdempotency()),
    ).toThrow(/puts idempotency inside retry/);
  });
});
