// A bulkhead configured inline is the process's one bulkhead of its name, so a
// server built per request (stateless Streamable HTTP) still limits concurrency.
import { deferred, serveInMemory, warningsDuring } from "@mcp-prod/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { BULKHEAD_META_KEY, bulkheadRegistry, compose, withBulkhead } from "./index.ts";

afterEach(() => bulkheadRegistry.clear());

describe("bulkheadRegistry", () => {
  it("limits a composed tool whose McpServer is built per request: at most `limit` calls reach the handler at once", async () => {
    const release = deferred();
    let running = 0;
    let mostAtOnce = 0;
    const handler = async ({ id }: { id: string }) => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await release.promise;
      running -= 1;
      return { content: [{ type: "text" as const, text: `report ${id}` }] };
    };
    // Each call on a server of its own, as a stateless HTTP server builds them.
    const clients = await Promise.all(
      ["a", "b", "c", "d"].map(async () => {
        const { client } = await serveInMemory((server) => {
          server.registerTool(
            "render_report",
            { inputSchema: { id: z.string() } },
            compose("render_report", handler, withBulkhead({ limit: 2 })),
          );
        });
        return client;
      }),
    );
    const calls = clients.map((client, index) =>
      client.callTool({ name: "render_report", arguments: { id: String(index) } }),
    );
    // The two calls over the limit are refused at once, while two run.
    const refused = await Promise.all([calls[2], calls[3]]);
    expect(refused.map((result) => result?._meta?.[BULKHEAD_META_KEY])).toEqual([
      { rejected: true, reason: "full", active: 2, queued: 0 },
      { rejected: true, reason: "full", active: 2, queued: 0 },
    ]);
    release.resolve();
    await Promise.all(calls);
    expect(mostAtOnce).toBe(2);
    expect(bulkheadRegistry.get("render_report")?.stats()).toMatchObject({
      rejected: 2,
      active: 0,
    });
  });

  it("refuses one name configured two ways, after checking the values", () => {
    const handler = async () => ({ content: [] });
    compose("render_report", handler, withBulkhead({ limit: 2 }));
    expect(() => compose("render_report", handler, withBulkhead({ limit: 3 }))).toThrow(
      /compose\("render_report"\) asks for the bulkhead "render_report" with `limit` 3, but it was made with 2/,
    );
    expect(() => compose("render_report", handler, withBulkhead({ limit: 0 }))).toThrow(
      "Expected `limit` to be a positive integer, got 0",
    );
  });

  it("makes a new bulkhead once the registered one is closed", () => {
    const handler = async () => ({ content: [] });
    compose("render_report", handler, withBulkhead({ limit: 2 }));
    const first = bulkheadRegistry.get("render_report");
    first?.close();
    expect(bulkheadRegistry.has("render_report")).toBe(false);
    compose("render_report", handler, withBulkhead({ limit: 2 }));
    expect(bulkheadRegistry.get("render_report")).not.toBe(first);
  });

  it("warns once when one line builds a second unnamed bulkhead", async () => {
    const handler = async () => ({ content: [] });
    const build = () => withBulkhead(handler, { limit: 2 });
    const warnings = await warningsDuring("MCP_PROD_INLINE_BULKHEAD", () => {
      build();
      build();
      build();
    });
    expect(warnings).toHaveLength(1);
    expect(bulkheadRegistry.size).toBe(0);
  });
});
