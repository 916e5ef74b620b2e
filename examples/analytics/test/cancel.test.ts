import { waitFor } from "@mcp-prod/testkit";
import {
  postMcp,
  type RunningExample,
  startExample,
  startMcpRequest,
} from "@mcp-prod-examples/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstream, type Upstream } from "../upstream/server.ts";

const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

const getReport = (id: number, days: number) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name: "get_report", arguments: { metric: "revenue", days } },
});
const cancel = (requestId: number) => ({
  jsonrpc: "2.0",
  method: "notifications/cancelled",
  params: { requestId, reason: "the user gave up" },
});

describe("analytics-mcp ends a cancelled call's exchange", () => {
  let upstream: Upstream;
  let server: RunningExample;

  beforeAll(async () => {
    // The upstream never answers within the test: every call stays in flight until cancelled.
    upstream = await startUpstream({ latencyMs: 600_000 });
    cleanup.push(() => upstream.close());
    server = await startExample("analytics", {
      API_BASE_URL: upstream.url,
      API_TIMEOUT_MS: "600000",
    });
    cleanup.push(() => server.stop());
  });

  /** Starts a call that waits on the upstream, cancels it, and returns the exchange. */
  async function cancelledCall(id: number, days: number) {
    const before = upstream.requests;
    const exchange = startMcpRequest(server.url, getReport(id, days));
    expect((await exchange.response).status).toBe(200);
    await waitFor(() => upstream.requests > before, { what: "the call to reach the upstream" });
    expect(exchange.isEnded()).toBe(false);
    const notified = await postMcp(server.url, cancel(id));
    expect(notified.status).toBe(202);
    return exchange;
  }

  it("ends the cancelled call's HTTP response, and a later call with the same id cancels as well", async () => {
    const first = await cancelledCall(7, 11);
    await waitFor(() => first.isEnded(), { what: "the cancelled response to end" });
    // The same JSON-RPC id again: the first call's entry is gone, so this cancellation is not ambiguous.
    const second = await cancelledCall(7, 12);
    await waitFor(() => second.isEnded(), { what: "the second cancelled response to end" });
    // The answer carries no result for a cancelled request.
    expect(await second.ended).not.toContain('"result"');
  });

  it("exits 0 on SIGTERM with cancelled calls in flight", async () => {
    await cancelledCall(21, 21);
    await cancelledCall(22, 22);
    expect(await server.stop()).toBe(0);
  });
});
