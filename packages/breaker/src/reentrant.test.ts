import { connectInMemory as connect } from "@mcp-prod/testkit";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BreakerOpenError, BreakerReentrantError, createBreaker, withBreaker } from "./index.ts";

const upstream = async (city: string) => `sunny in ${city}`;

describe("a breaker called from inside its own probe", () => {
  it("says so with BreakerReentrantError instead of locking the circuit open", async () => {
    // Half-open from the start: the next call is the one probe.
    const breaker = createBreaker(upstream, {
      name: "weather",
      initialState: { name: "weather", state: "halfOpen" },
    });
    const seen: unknown[] = [];
    const server = new McpServer({ name: "t", version: "1.0.0" });
    server.registerTool(
      "forecast",
      { inputSchema: { city: z.string() } },
      withBreaker(
        async ({ city }) => {
          try {
            return { content: [{ type: "text" as const, text: await breaker.fire(city) }] };
          } catch (error) {
            seen.push(error);
            throw error;
          }
        },
        { breaker },
      ),
    );
    const { client, close } = await connect(server);
    const result = await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
    await close();
    expect(seen).toHaveLength(1);
    expect(BreakerReentrantError.isInstance(seen[0])).toBe(true);
    expect((seen[0] as BreakerReentrantError).code).toBe("EREENTRANT");
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain(
      'Breaker \\"weather\\" was called from inside its own call',
    );
    breaker.close();
  });

  it("still refuses an unrelated call while the probe runs with BreakerOpenError", async () => {
    let release: () => void = () => {};
    const breaker = createBreaker(
      () =>
        new Promise<string>((resolve) => {
          release = () => resolve("ok");
        }),
      { initialState: { name: "slow", state: "halfOpen" } },
    );
    const probe = breaker.fire();
    const other = await breaker.fire().catch((error: unknown) => error);
    expect(BreakerOpenError.isInstance(other)).toBe(true);
    expect(BreakerReentrantError.isInstance(other)).toBe(false);
    release();
    await expect(probe).resolves.toBe("ok");
    expect(breaker.state).toBe("closed");
    breaker.close();
  });
});
