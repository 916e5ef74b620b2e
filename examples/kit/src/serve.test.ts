import type { Server } from "node:http";
import { connect } from "node:net";
import { waitFor } from "@mcp-prod/testkit";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveMcp } from "./serve.ts";

/** Writes raw bytes to the server and collects what it answers until it closes the socket. */
function rawExchange(port: number, payload: string) {
  const socket = connect(port, "127.0.0.1");
  let answer = "";
  let closed = false;
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    answer += chunk;
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    closed = true;
  });
  socket.write(payload);
  return { socket, answer: () => answer, closed: () => closed };
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);

/** serveMcp on a free loopback port with an empty server and trivial probes, plus `options`. */
const serveTest = (options: Partial<Parameters<typeof serveMcp>[0]> = {}) =>
  serveMcp({
    host: "127.0.0.1",
    port: 0,
    createMcpServer: () => new McpServer({ name: "test", version: "0.0.0" }),
    healthHandler: (_req, res) => res.end("ok"),
    metricsHandler: (_req, res) => res.end(""),
    ...options,
  });

describe("serveMcp answers what Node refuses itself, with the security headers", () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const served = await serveTest({ bodyTimeoutMs: 300 });
    server = served.server;
    port = Number(new URL(served.url).port);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("/health and /metrics answer loopback names and IP literals, not a rebound name", async () => {
    const at = (host: string) =>
      rawExchange(port, `GET /metrics HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`);
    const rebound = at("evil.example.com");
    const local = at(`localhost:${port}`);
    await waitFor(() => rebound.closed() && local.closed(), { what: "both answers" });
    expect(statusOf(rebound.answer())).toBe(403);
    expect(rebound.answer()).toContain("Host evil.example.com is not allowed");
    expect(statusOf(local.answer())).toBe(200);
  });

  it("a malformed request gets 400 with the security headers", async () => {
    const exchange = rawExchange(port, "NOT HTTP AT ALL\r\n\r\n");
    await waitFor(() => exchange.closed(), { what: "the server to close the socket" });
    expect(statusOf(exchange.answer())).toBe(400);
    expect(exchange.answer()).toMatch(/\r\nx-content-type-options: nosniff\r\n/i);
    expect(exchange.answer()).toMatch(/\r\ncontent-security-policy: default-src 'none'/i);
  });

  it("oversized headers get 431 with the security headers", async () => {
    const exchange = rawExchange(
      port,
      `GET /health HTTP/1.1\r\nhost: localhost\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    await waitFor(() => exchange.closed(), { what: "the server to close the socket" });
    expect(statusOf(exchange.answer())).toBe(431);
    expect(exchange.answer()).toMatch(/\r\nx-frame-options: DENY\r\n/i);
  });

  it("a request body that does not arrive in time gets 408 and the socket is closed", async () => {
    const body = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    const exchange = rawExchange(
      port,
      `POST /mcp HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n` +
        `accept: application/json, text/event-stream\r\ncontent-length: ${body.length}\r\n\r\n` +
        body.slice(0, 10),
    );
    await waitFor(() => exchange.closed(), { what: "the slow request to be answered and closed" });
    expect(statusOf(exchange.answer())).toBe(408);
    expect(exchange.answer()).toMatch(/\r\nx-content-type-options: nosniff\r\n/i);
  });
});

describe("serveMcp with a metrics port", () => {
  it("serves /metrics alone there, so a scraper let in on it cannot reach /mcp", async () => {
    const served = await serveTest({
      metricsPort: 0,
      metricsHandler: (_req, res) => res.end("mcp_tool_calls_total 0\n"),
    });
    const { server, metricsServer } = served;
    try {
      expect(metricsServer).toBeDefined();
      const address = metricsServer?.address();
      const metricsUrl = `http://127.0.0.1:${typeof address === "object" ? address?.port : ""}`;
      const metrics = await fetch(`${metricsUrl}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toBe("mcp_tool_calls_total 0\n");
      expect(metrics.headers.get("x-content-type-options")).toBe("nosniff");
      for (const path of ["/mcp", "/health/ready", "/"]) {
        const other = await fetch(`${metricsUrl}${path}`, {
          method: path === "/mcp" ? "POST" : "GET",
        });
        expect(other.status, path).toBe(404);
      }
      // The main port still serves /metrics, as without a metrics port.
      expect((await fetch(`${served.url}/metrics`)).status).toBe(200);
    } finally {
      for (const each of [server, metricsServer])
        await new Promise((resolve) => each?.close(resolve));
    }
  });

  it("without one, only the main server listens", async () => {
    const served = await serveTest();
    expect(served.metricsServer).toBeUndefined();
    await new Promise((resolve) => served.server.close(resolve));
  });
});
