import { assertString } from "@mcp-prod/internal";

/**
 * The four routes every health object serves.
 *
 * @example
 * ```ts
 * const answer = await health.probe("ready");
 * reply.code(answer.statusCode).type(answer.contentType).send(answer.body);
 * ```
 */
export type ProbeRoute = "health" | "live" | "ready" | "startup";

/** Every route, in the order `paths` lists them. */
export const PROBE_ROUTES: ReadonlyArray<ProbeRoute> = ["health", "live", "ready", "startup"];

/** Finds the route a request URL (path and optional query) asks for. */
export type ProbeRouter = (url: string) => ProbeRoute | undefined;

/**
 * Checks each path of the `paths` option (an object of known routes) and returns the router that maps a URL to its
 * route; a trailing slash and the query string are ignored.
 */
export function createProbeRouter(
  paths: Readonly<Partial<Record<ProbeRoute, string>>>,
): ProbeRouter {
  const byPath = new Map<string, ProbeRoute>();
  for (const route of PROBE_ROUTES) {
    const path = paths[route] ?? (route === "health" ? "/health" : `/health/${route}`);
    assertString(path, `paths.${route}`);
    if (!path.startsWith("/")) throw new TypeError(`Expected \`paths.${route}\` to start with /`);
    byPath.set(normalizePath(path), route);
  }
  return (url) => {
    const query = url.indexOf("?");
    return byPath.get(normalizePath(query === -1 ? url : url.slice(0, query)));
  };
}

function normalizePath(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}
