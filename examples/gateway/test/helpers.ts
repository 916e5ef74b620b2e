import { createServer, type Server } from "node:http";
import { identityFromHeaders, serveMcp } from "@mcp-prod-examples/kit";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { z } from "zod";

/** An OAuth issuer of the test's own: a key pair and its JWKS served on loopback. */
export async function startIssuer() {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
  const server: Server = createServer((req, res) => {
    if (req.url === "/.well-known/jwks.json") {
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ keys: [jwk] }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const issuer = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const other = await generateKeyPair("RS256");
  return {
    issuer,
    token: (
      claims: { scope?: string; client_id?: string; sub?: string },
      options: {
        audience?: string;
        issuer?: string;
        expiresIn?: string | number;
        foreignKey?: boolean;
      } = {},
    ) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: "test-key" })
        .setIssuer(options.issuer ?? issuer)
        .setAudience(options.audience ?? "mcp-gateway")
        .setIssuedAt(Math.floor(Date.now() / 1000) - 120)
        .setExpirationTime(options.expiresIn ?? "5m")
        .sign(options.foreignKey ? other.privateKey : privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type BackendRecord = {
  calls: number;
  identities: (AuthInfo | undefined)[];
  cancelled: number;
  started: number;
};

/** A small backend MCP server over Streamable HTTP, recording what reaches it. */
export async function startBackend(kind: "users" | "analytics", port = 0) {
  const record: BackendRecord = { calls: 0, identities: [], cancelled: 0, started: 0 };
  const build = () => {
    const server = new McpServer({ name: `${kind}-test-backend`, version: "0.0.0" });
    if (kind === "users") {
      server.registerTool("whoami", { description: "Echo the caller identity" }, async (extra) => {
        record.calls += 1;
        record.identities.push(extra.authInfo);
        return {
          content: [
            {
              type: "text",
              text: JSON.stringify({
                clientId: extra.authInfo?.clientId,
                scopes: extra.authInfo?.scopes,
              }),
            },
          ],
        };
      });
      server.registerTool(
        "slow",
        {
          description: "Waits until cancelled, reporting progress",
          inputSchema: { steps: z.number().int() },
        },
        async ({ steps }, extra) => {
          record.calls += 1;
          record.started += 1;
          const token = extra._meta?.progressToken;
          for (let step = 1; step <= steps; step += 1) {
            if (token !== undefined) {
              await extra.sendNotification({
                method: "notifications/progress",
                params: { progressToken: token, progress: step, total: steps },
              });
            }
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          await new Promise<void>((resolve) => {
            if (extra.signal.aborted) return resolve();
            extra.signal.addEventListener("abort", () => resolve(), { once: true });
            setTimeout(resolve, 10_000).unref();
          });
          if (extra.signal.aborted) record.cancelled += 1;
          return { content: [{ type: "text", text: "done" }] };
        },
      );
    } else {
      server.registerTool(
        "ping",
        { description: "Answers pong", inputSchema: { n: z.number() } },
        async ({ n }, extra) => {
          record.calls += 1;
          record.identities.push(extra.authInfo);
          return { content: [{ type: "text", text: `pong ${n}` }] };
        },
      );
    }
    return server;
  };
  const noop = (_req: unknown, res: { writeHead(status: number): { end(): void } }) =>
    res.writeHead(404).end();
  const { server, url } = await serveMcp({
    host: "127.0.0.1",
    port,
    createMcpServer: build,
    authenticate: identityFromHeaders,
    healthHandler: noop,
    metricsHandler: noop,
  });
  return {
    record,
    url: `${url}/mcp`,
    port: Number(new URL(url).port),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
