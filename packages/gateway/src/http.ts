import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { bearerToken } from "./auth.ts";
import { type HostRules, SECURITY_HEADERS, sendError } from "./guards.ts";
import type { GatewayLogger } from "./options.ts";

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

export type ServeOptions = {
  readonly host: string;
  readonly port: number;
  readonly hosts: HostRules;
  readonly mcp: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  readonly health: NodeHandler;
  /** Renders the metrics exposition. */
  readonly metrics: () => Promise<string>;
  readonly metricsContentType: string;
  /** A bearer token `/metrics` requires (`GATEWAY_METRICS_TOKEN`). */
  readonly metricsToken: string | undefined;
  readonly logger: GatewayLogger | undefined;
};

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * `/metrics`: the token checked in constant time when one is set; one
 * rendering at a time, shared by every request that asks meanwhile, so a
 * flood of scrapes costs one rendering, not one each.
 */
function metricsRoute(options: ServeOptions): NodeHandler {
  const expected = options.metricsToken === undefined ? undefined : digest(options.metricsToken);
  let rendering: Promise<string> | undefined;
  return (req, res) => {
    if (expected) {
      const token = bearerToken(req);
      if (!token || !timingSafeEqual(digest(token), expected))
        return sendError(res, 401, -32001, "metrics need a bearer token", {
          "www-authenticate": 'Bearer realm="metrics"',
        });
    }
    if (req.method !== "GET" && req.method !== "HEAD")
      return sendError(res, 405, -32000, "Method not allowed", { allow: "GET, HEAD" });
    rendering ??= options.metrics().finally(() => {
      rendering = undefined;
    });
    rendering.then(
      (text) => {
        res.writeHead(200, {
          "content-type": options.metricsContentType,
          "cache-control": "no-store",
        });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      () => sendError(res, 500, -32603, "metrics could not be rendered"),
    );
  };
}

/**
 * The gateway's HTTP front: `/mcp`, `/health*` and `/metrics`, all behind the
 * same Host and Origin rules (DNS rebinding), each answer with the security
 * headers. Resolves once it listens.
 */
export async function serve(options: ServeOptions): Promise<{ server: Server; url: string }> {
  const metrics = metricsRoute(options);
  const server: Server = createServer((req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const refusal = options.hosts.refusal(req);
    if (refusal) return sendError(res, 403, -32000, refusal);
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/mcp") {
      options.mcp(req, res).catch((error: unknown) => {
        options.logger?.warn({ event: "request_failed", err: error }, "request failed");
        if (!res.headersSent) sendError(res, 500, -32603, "Internal error");
        else res.destroy();
      });
    } else if (path === "/health" || path.startsWith("/health/")) void options.health(req, res);
    else if (path === "/metrics") metrics(req, res);
    else res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address();
  const port = typeof bound === "object" && bound ? bound.port : options.port;
  const shown = options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host;
  return { server, url: `http://${shown.includes(":") ? `[${shown}]` : shown}:${port}` };
}
