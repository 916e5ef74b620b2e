import { deferred, serveInMemory, serveInMemory2, textResult as text } from "@mcp-prod/testkit";
import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { z } from "zod";
import {
  BULKHEAD_BUSY_MESSAGE,
  BULKHEAD_META_KEY,
  compose,
  createBulkhead,
  withBulkhead,
} from "./index.ts";

afterEach(async () => {
  vi.useRealTimers();
});

describe("withBulkhead", () => {
  it("answers 'Server busy' marked rejected when every slot is taken, and runs again once one frees", async () => {
    const running = deferred();
    let started = 0;
    const { client } = await serveInMemory((server) => {
      server.registerTool(
        "report",
        { inputSchema: { id: z.string() } },
        withBulkhead(
          async ({ id }) => {
            started += 1;
            if (started === 1) await running.promise;
            return text(`report ${id}`);
          },
          { limit: 1 },
        ),
      );
    });
    const first = client.callTool({ name: "report", arguments: { id: "a" } });
    await vi.waitFor(() => expect(started).toBe(1));
    const busy = await client.callTool({ name: "report", arguments: { id: "b" } });
    expect(busy).toEqual({
      content: [{ type: "text", text: BULKHEAD_BUSY_MESSAGE }],
      isError: true,
      _meta: { [BULKHEAD_META_KEY]: { rejected: true, reason: "full", active: 1, queued: 0 } },
    });
    expect(started).toBe(1);
    running.resolve();
    expect((await first).content).toEqual([{ type: "text", text: "report a" }]);
    const later = await client.callTool({ name: "report", arguments: { id: "c" } });
    expect(later.content).toEqual([{ type: "text", text: "report c" }]);
  });

  it("shares one bulkhead across tools", async () => {
    const bulkhead = createBulkhead({ name: "upstream", limit: 1 });
    const running = deferred();
    const { client } = await serveInMemory((server) => {
      server.registerTool(
        "slow",
        {},
        withBulkhead(
          async () => {
            await running.promise;
            return text("slow done");
          },
          { bulkhead },
        ),
      );
      server.registerTool(
        "fast",
        {},
        withBulkhead(async () => text("fast done"), { bulkhead }),
      );
    });
    const slow = client.callTool({ name: "slow" });
    await vi.waitFor(() => expect(bulkhead.stats().active).toBe(1));
    const fast = await client.callTool({ name: "fast" });
    expect(fast.isError).toBe(true);
    expect(bulkhead.stats().rejected).toBe(1);
    running.resolve();
    await slow;
  });

  it("answers 'Server busy' with reason queueTimeout after queueTimeoutMs", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const running = deferred();
    const bulkhead = createBulkhead({ limit: 1, queue: 1, queueTimeoutMs: 1000 });
    const handler = withBulkhead(
      async (_extra: { signal: AbortSignal }) => {
        await running.promise;
        return text("done");
      },
      { bulkhead },
    );
    const extra = { signal: new AbortController().signal };
    const first = handler(extra);
    const queued = handler(extra);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await queued).toEqual({
      content: [{ type: "text", text: BULKHEAD_BUSY_MESSAGE }],
      isError: true,
      _meta: {
        [BULKHEAD_META_KEY]: { rejected: true, reason: "queueTimeout", active: 1, queued: 0 },
      },
    });
    running.resolve();
    expect(await first).toEqual(text("done"));
    expect(bulkhead.stats()).toMatchObject({ active: 0, queued: 0, timedOut: 1 });
  });

  it("takes a cancelled request out of the queue at once", async () => {
    const running = deferred();
    const bulkhead = createBulkhead({ limit: 1, queue: 1 });
    const handler = withBulkhead(
      async (_extra: { signal: AbortSignal }) => {
        await running.promise;
        return text("done");
      },
      { bulkhead },
    );
    const first = handler({ signal: new AbortController().signal });
    const controller = new AbortController();
    const queued = handler({ signal: controller.signal });
    expect(bulkhead.stats().queued).toBe(1);
    controller.abort(new Error("request cancelled"));
    await expect(queued).rejects.toThrow("request cancelled");
    expect(bulkhead.stats()).toMatchObject({ active: 1, queued: 0 });
    running.resolve();
    await first;
  });

  it("passes a handler's own errors through", async () => {
    const handler = withBulkhead(
      async (_extra: { signal: AbortSignal }) => {
        throw new Error("database down");
      },
      { limit: 2 },
    );
    await expect(handler({ signal: new AbortController().signal })).rejects.toThrow(
      "database down",
    );
  });

  it("validates its options where the wrapper is written", () => {
    const handler = async () => text("ok");
    expect(() => withBulkhead(handler, { limit: -1 })).toThrow(
      "Expected `limit` to be a positive integer, got -1",
    );
    expect(() => withBulkhead({ limit: 1, concurrency: 2 } as never)).toThrow(
      "Unknown option `concurrency` in createBulkhead(): use `limit`",
    );
    expect(() => withBulkhead(handler, { bulkhead: {} } as never)).toThrow(
      "Expected `bulkhead` to be a bulkhead from createBulkhead()",
    );
  });

  it("runs on an SDK 2.x McpServer", async () => {
    const running = deferred();
    let started = 0;
    const { client } = await serveInMemory2((server) => {
      server.registerTool(
        "report",
        { inputSchema: z.object({ id: z.string() }) },
        withBulkhead(
          async ({ id }, ctx) => {
            started += 1;
            if (started === 1) await running.promise;
            return text(`report ${id} via ${ctx.mcpReq.method}`);
          },
          { limit: 1 },
        ),
      );
    });
    const first = client.callTool({ name: "report", arguments: { id: "a" } });
    await vi.waitFor(() => expect(started).toBe(1));
    const busy = await client.callTool({ name: "report", arguments: { id: "b" } });
    expect(busy.isError).toBe(true);
    expect(busy._meta?.[BULKHEAD_META_KEY]).toEqual({
      rejected: true,
      reason: "full",
      active: 1,
      queued: 0,
    });
    running.resolve();
    expect((await first).content).toEqual([{ type: "text", text: "report a via tools/call" }]);
  });

  it("composes as a policy named after the tool and keeps the handler's type", async () => {
    type Handler = (
      args: { id: string },
      extra: { signal: AbortSignal },
    ) => Promise<ReturnType<typeof text>>;
    const running = deferred();
    const handler: Handler = async ({ id }) => {
      await running.promise;
      return text(id);
    };
    const composed = compose("report", handler, withBulkhead({ limit: 1 }));
    expectTypeOf(composed).toEqualTypeOf<Handler>();
    const extra = { signal: new AbortController().signal };
    const first = composed({ id: "a" }, extra);
    expect(await composed({ id: "b" }, extra)).toMatchObject({ isError: true });
    running.resolve();
    expect(await first).toEqual(text("a"));
  });
});
