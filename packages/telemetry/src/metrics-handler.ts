import type { IncomingMessage, ServerResponse } from "node:http";
import { assertKnownKeys, assertOptions, assertString, optionKeys } from "@mcp-prod/internal";
import type { Registry } from "prom-client";

/**
 * Options of `telemetry.metricsHandler()`.
 *
 * @example
 * ```ts
 * app.use(telemetry.metricsHandler({ path: "/internal/metrics" }));
 * ```
 */
export type MetricsHandlerOptions = {
  /**
   * The path served. Other paths get 404, or go to `next` when the handler is
   * mounted as connect/Express middleware.
   * @default "/metrics"
   */
  readonly path?: string;
};

/**
 * A Node `http` request listener, also usable as connect/Express middleware
 * (`app.use(handler)`): `GET`/`HEAD` on the path answer with the registry's
 * exposition and content type, no caching.
 *
 * @example
 * ```ts
 * http.createServer(telemetry.metricsHandler()).listen(9464, "0.0.0.0");
 * ```
 */
export type MetricsHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

const METRICS_HANDLER_KEYS = optionKeys<MetricsHandlerOptions>({ path: true });

export function metricsHandler(
  registry: Registry,
  options: MetricsHandlerOptions = {},
): MetricsHandler {
  assertOptions(options);
  assertKnownKeys(options, METRICS_HANDLER_KEYS, "telemetry.metricsHandler()");
  const { path = "/metrics" } = options;
  assertString(path, "path");
  if (!path.startsWith("/"))
    throw new TypeError(`Expected \`path\` to start with "/", got ${JSON.stringify(path)}`);

  return (request, response, next) => {
    const url = request.url ?? "/";
    const query = url.indexOf("?");
    const requestPath = query === -1 ? url : url.slice(0, query);
    if (requestPath !== path) {
      if (next) return next();
      return send(response, 404, "text/plain; charset=utf-8", "Not Found\n");
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("Allow", "GET, HEAD");
      return send(response, 405, "text/plain; charset=utf-8", "Method Not Allowed\n");
    }
    registry.metrics().then(
      (body) => send(response, 200, registry.contentType, request.method === "HEAD" ? "" : body),
      (error: unknown) => {
        // A failing collector is a server fault; the exposition is all-or-nothing so Prometheus never scrapes half.
        if (next) return next(error);
        send(response, 500, "text/plain; charset=utf-8", "Metrics collection failed\n");
      },
    );
  };
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.statusCode = status;
  response.setHeader("Content-Type", contentType);
  response.setHeader("Cache-Control", "no-store");
  response.end(body);
}
