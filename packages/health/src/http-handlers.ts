import type { IncomingMessage, ServerResponse } from "node:http";
import type { ProbeResponse } from "./format.ts";
import type { ProbeRoute, ProbeRouter } from "./probe-routes.ts";

/**
 * A node / express handler: serves the probe routes, passes anything else to `next` (or answers 404).
 *
 * @example
 * ```ts
 * const handler: NodeHealthHandler = health.nodeHandler();
 * app.use("/health", handler); // express
 * ```
 */
export type NodeHealthHandler = (
  request: IncomingMessage & { readonly originalUrl?: string },
  response: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/**
 * A fetch-API handler (hono, Bun, Deno, Next.js route handlers). Unknown paths answer 404.
 *
 * @example
 * ```ts
 * const handler: FetchHealthHandler = health.fetchHandler();
 * app.get("/health/*", (c) => handler(c.req.raw)); // hono
 * ```
 */
export type FetchHealthHandler = (request: Request) => Promise<Response>;

/** Answers one probe route: `Health.probe`. */
type Prober = (
  route: ProbeRoute,
  options?: { readonly signal?: AbortSignal },
) => Promise<ProbeResponse>;

/** Serves the probe routes `router` knows to node / express, everything else to `next` or 404. */
export function createNodeHandler(router: ProbeRouter, probe: Prober): NodeHealthHandler {
  return (request, response, next) => {
    const route = router(request.originalUrl ?? request.url ?? "/");
    if (route === undefined) {
      if (next) next();
      else sendNode(response, 404, "application/json", '{"error":"Not Found"}', false);
      return;
    }
    const method = request.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") {
      response.setHeader("allow", "GET, HEAD");
      sendNode(response, 405, "application/json", '{"error":"Method Not Allowed"}', false);
      return;
    }
    probe(route).then(
      (answer) =>
        sendNode(response, answer.statusCode, answer.contentType, answer.body, method === "HEAD"),
      (error: unknown) => (next ? next(error) : response.destroy()),
    );
  };
}

/** Serves the probe routes `router` knows to the fetch API, everything else with 404. */
export function createFetchHandler(router: ProbeRouter, probe: Prober): FetchHealthHandler {
  return async (request) => {
    const route = router(new URL(request.url).pathname);
    if (route === undefined) return Response.json({ error: "Not Found" }, { status: 404 });
    if (request.method !== "GET" && request.method !== "HEAD")
      return Response.json(
        { error: "Method Not Allowed" },
        { status: 405, headers: { allow: "GET, HEAD" } },
      );
    const answer = await probe(route, { signal: request.signal });
    return new Response(request.method === "HEAD" ? null : answer.body, {
      status: answer.statusCode,
      headers: { "content-type": answer.contentType, "cache-control": "no-store" },
    });
  };
}

function sendNode(
  response: ServerResponse,
  statusCode: number,
  contentType: string,
  body: string,
  head: boolean,
): void {
  response.writeHead(statusCode, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  response.end(head ? undefined : body);
}
