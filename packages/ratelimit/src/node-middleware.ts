import type { IncomingMessage, ServerResponse } from "node:http";
import { assertFunction, assertKnownKeys, assertOptions, optionKeys } from "@mcp-prod/internal";
import { RateLimitExceededError } from "./errors.ts";
import { rateLimitHeaders, writeRateLimitResponse } from "./http.ts";
import type { RateLimiter, RateLimitResult } from "./limiter.ts";
import { assertCost } from "./options.ts";

export type NodeMiddlewareOptions = {
  /**
   * The key of a request; `undefined` counts it under `"anonymous"`.
   * @default the client's address (`request.socket.remoteAddress`)
   */
  readonly key?: (request: IncomingMessage) => string | undefined;
  /**
   * Points one request costs.
   * @default 1
   */
  readonly cost?: number;
};

/**
 * Guards a Node HTTP handler (`http.createServer`, Express, Connect). It
 * resolves `true` when the request may go on (after calling `next()`, when
 * given); over the limit it answers 429 with `Retry-After` and resolves `false`.
 */
export type NodeRateLimitMiddleware = (
  request: IncomingMessage,
  response: ServerResponse,
  next?: (error?: unknown) => void,
) => Promise<boolean>;

const MIDDLEWARE_KEYS = optionKeys<NodeMiddlewareOptions>({ key: true, cost: true });

/** The guard of `limiter.nodeMiddleware()`: one `consume` per request, 429 over the limit. */
export function createNodeMiddleware(
  limiter: RateLimiter,
  options: NodeMiddlewareOptions,
): NodeRateLimitMiddleware {
  assertOptions(options);
  assertKnownKeys(options, MIDDLEWARE_KEYS, "limiter.nodeMiddleware()", {
    keyGenerator: "use `key`",
  });
  const { key: keyOf = defaultRequestKey, cost = 1 } = options;
  assertFunction(keyOf, "key");
  assertCost(cost, limiter.points);
  return async (request, response, next) => {
    let result: RateLimitResult;
    try {
      result = await limiter.consume(keyOf(request) ?? "anonymous", { cost });
    } catch (error) {
      if (RateLimitExceededError.isInstance(error)) {
        writeRateLimitResponse(response, error);
        return false;
      }
      if (!next) throw error;
      next(error);
      return false;
    }
    if (!response.headersSent) {
      for (const [header, value] of Object.entries(rateLimitHeaders(result))) {
        response.setHeader(header, value);
      }
    }
    next?.();
    return true;
  };
}

function defaultRequestKey(request: IncomingMessage): string | undefined {
  return request.socket.remoteAddress;
}
