import type { ServerResponse } from "node:http";
import { RateLimitExceededError } from "./errors.ts";
import type { RateLimitResult } from "./limiter.ts";

/**
 * The response headers for a call: `RateLimit-Limit`, `RateLimit-Remaining`
 * and `RateLimit-Reset` (seconds) as in the IETF RateLimit header fields
 * draft, plus `Retry-After` (whole seconds) when the call was refused.
 *
 * @example
 * ```ts
 * import { createRateLimiter, rateLimitHeaders } from "@mcp-prod/ratelimit";
 *
 * const limiter = createRateLimiter({ points: 100, durationSeconds: 60 });
 * const headers = rateLimitHeaders(await limiter.consume("203.0.113.7"));
 * // { "RateLimit-Limit": "100", "RateLimit-Remaining": "99", "RateLimit-Reset": "60" }
 * ```
 */
export function rateLimitHeaders(
  outcome: RateLimitResult | RateLimitExceededError,
): Record<string, string> {
  if (RateLimitExceededError.isInstance(outcome)) {
    const seconds = String(outcome.retryAfterSeconds);
    return {
      "Retry-After": seconds,
      "RateLimit-Limit": String(outcome.limit),
      "RateLimit-Remaining": "0",
      "RateLimit-Reset": seconds,
    };
  }
  return {
    "RateLimit-Limit": String(outcome.limit),
    "RateLimit-Remaining": String(outcome.remainingPoints),
    "RateLimit-Reset": String(Math.ceil(outcome.msBeforeReset / 1000)),
  };
}

/** The JSON body of a 429: what a client or a model can act on. */
export type RateLimitResponseBody = {
  readonly error: "rate_limit_exceeded";
  readonly message: string;
  readonly retryAfterSeconds: number;
};

function responseBody(error: RateLimitExceededError): string {
  const body: RateLimitResponseBody = {
    error: "rate_limit_exceeded",
    message: error.message,
    retryAfterSeconds: error.retryAfterSeconds,
  };
  return JSON.stringify(body);
}

/**
 * A Fetch API `Response` for a refused call: status 429, `Retry-After`, the
 * RateLimit headers and a JSON {@link RateLimitResponseBody}. For servers on
 * web-standard handlers (Hono, the SDK's web-standard transport, Deno, Bun).
 *
 * @example
 * ```ts
 * import { createRateLimiter, RateLimitExceededError, rateLimitResponse } from "@mcp-prod/ratelimit";
 *
 * const limiter = createRateLimiter({ points: 100, durationSeconds: 60 });
 * async function handle(request: Request): Promise<Response> {
 *   try {
 *     await limiter.consume(request.headers.get("x-api-key") ?? "anonymous");
 *   } catch (error) {
 *     if (RateLimitExceededError.isInstance(error)) return rateLimitResponse(error);
 *     throw error;
 *   }
 *   return new Response("ok");
 * }
 * ```
 */
export function rateLimitResponse(error: RateLimitExceededError): Response {
  return new Response(responseBody(error), {
    status: 429,
    headers: { ...rateLimitHeaders(error), "Content-Type": "application/json" },
  });
}

/**
 * Writes the 429 answer for a refused call to a Node `ServerResponse`: the
 * same status, headers and body as {@link rateLimitResponse}.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { createRateLimiter, RateLimitExceededError, writeRateLimitResponse } from "@mcp-prod/ratelimit";
 *
 * const limiter = createRateLimiter({ points: 100, durationSeconds: 60 });
 * createServer(async (request, response) => {
 *   try {
 *     await limiter.consume(request.socket.remoteAddress ?? "anonymous");
 *   } catch (error) {
 *     if (RateLimitExceededError.isInstance(error)) return writeRateLimitResponse(response, error);
 *     throw error;
 *   }
 *   response.end("ok");
 * });
 * ```
 */
export function writeRateLimitResponse(
  response: ServerResponse,
  error: RateLimitExceededError,
): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(429, { ...rateLimitHeaders(error), "Content-Type": "application/json" });
  response.end(responseBody(error));
}
