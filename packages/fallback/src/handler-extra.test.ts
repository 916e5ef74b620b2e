import { serveInMemory as connect, deferred } from "@mcp-prod/testkit";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { describe, expect, it } from "vitest";
import { text } from "./fallback.test-helpers.ts";
import { withFallback } from "./index.ts";

// The in-memory transport hands the server the authInfo the client side sends with.
const authInfo: AuthInfo = { token: "token-1", clientId: "client-1", scopes: ["forecast"] };

describe("withFallback's handler extra", () => {
  it("keeps extra.signal and every other field in a spread of extra when timeoutMs gives the call its own signal", async () => {
    const started = deferred();
    const handlerAborted = deferred();
    let extra: Record<string, unknown> | undefined;
    let copy: Record<string, unknown> | undefined;
    const { client } = await connect(
      (server) => {
        server.registerTool(
          "slow",
          {},
          withFallback(
            async (received) => {
              extra = received;
              copy = { ...received };
              const { signal } = copy as { signal: AbortSignal };
              started.resolve();
              await new Promise((_, reject) =>
                signal.addEventListener("abort", () => {
                  handlerAborted.resolve();
                  reject(signal.reason);
                }),
              );
              return text("never");
            },
            text("cached"),
            { timeoutMs: 60_000 },
          ),
        );
      },
      { authInfo },
    );
    const controller = new AbortController();
    const pending = client.callTool({ name: "slow", _meta: { traceId: "trace-1" } }, undefined, {
      signal: controller.signal,
    });
    await started.promise;

    expect(copy?.signal).toBeInstanceOf(AbortSignal);
    expect(copy?.signal).toBe(extra?.signal);
    expect(copy?._meta).toEqual({ traceId: "trace-1" });
    expect(copy?.requestId).toBe(extra?.requestId);
    expect(copy?.requestId).toEqual(expect.any(Number));
    expect(copy?.sendNotification).toBe(extra?.sendNotification);
    expect(copy?.sendNotification).toBeTypeOf("function");
    expect(copy?.authInfo).toEqual(authInfo);
    expect(Object.keys(copy ?? {}).sort()).toEqual(Object.keys(extra ?? {}).sort());

    // The spread's signal is the one the request's cancellation reaches.
    controller.abort(new Error("user pressed stop"));
    await expect(pending).rejects.toThrow("user pressed stop");
    await handlerAborted.promise;
    expect((copy?.signal as AbortSignal | undefined)?.aborted).toBe(true);
  });
});
