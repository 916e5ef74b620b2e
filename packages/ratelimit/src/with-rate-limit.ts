import {
  assertFunction,
  assertKnownKeys,
  assertOptions,
  assertPositiveInteger,
  assertString,
  asToolHandler,
  callSite,
  optionKeys,
  readCallContext,
  readToolCall,
  type ToolHandler,
  type ToolResult,
  textResult,
  warnOnce,
  withResultMeta,
} from "@mcp-prod/internal";
import { RateLimitExceededError } from "./errors.ts";
import { createRateLimiter, type RateLimiter, type RateLimitStore } from "./limiter.ts";
import {
  assertCost,
  LIMITER_FOREIGN_KEYS,
  LIMITER_KEYS,
  type RateLimiterOptions,
} from "./limiter-options.ts";

/** The `_meta` key under which `withRateLimit` marks the results it returns. */
export const RATE_LIMIT_META_KEY = "mcp-prod/ratelimit";

/**
 * What the `key` function sees of the SDK's request `extra` (1.x) or `ctx`
 * (2.x): typed structurally so it needs no SDK types.
 */
export type RateLimitExtra = {
  readonly sessionId?: string | undefined;
  readonly authInfo?:
    | {
        readonly clientId?: string;
        readonly scopes?: readonly string[];
        readonly extra?: Record<string, unknown>;
      }
    | undefined;
  readonly [field: string]: unknown;
};

/** What `withRateLimit` puts under `_meta["mcp-prod/ratelimit"]` of a result. */
export type RateLimitMeta =
  | {
      readonly limited: false;
      readonly limit: number;
      readonly remainingPoints: number;
      readonly store: RateLimitStore;
    }
  | {
      readonly limited: true;
      readonly limit: number;
      readonly durationSeconds: number;
      readonly retryAfterMs: number;
      readonly retryAfterSeconds: number;
    };

type WrapperOptions<H extends ToolHandler = ToolHandler> = {
  /**
   * Who a call counts against. It receives the handler's own parameters
   * (`args, extra` for a tool with an `inputSchema`, `extra` without), typed
   * like the handler. Returning `undefined` counts the call under `"anonymous"`.
   * @default the authenticated client (`authInfo.clientId`), else the MCP
   * session id. A call over HTTP with neither (a stateless server without
   * authentication) is refused with a `TypeError` asking for `key`, rather
   * than putting every client in one bucket; over stdio (one client) it counts
   * under `"anonymous"`.
   */
  readonly key?: (...params: Parameters<H>) => string | undefined;
  /**
   * A tool name: the limit then applies per client *per tool* (the key
   * becomes `<tool>:<client>`), so one limiter can serve every tool.
   * @default undefined (one limit across the tools sharing the limiter)
   */
  readonly tool?: string;
  /**
   * Points one call costs.
   * @default 1
   */
  readonly cost?: number;
  /**
   * The text of the `isError` result a refused call gets.
   * @default "Rate limit exceeded, retry after N s (limit: P per D s)."
   */
  readonly message?: (error: RateLimitExceededError) => string;
};

/**
 * `withRateLimit` options: either a shared `limiter` (needed when a stateless
 * server builds a new `McpServer` per request, or to share one limit between
 * tools), or the options of the limiter to create.
 */
export type WithRateLimitOptions<H extends ToolHandler = ToolHandler> = WrapperOptions<H> &
  (
    | ({ readonly limiter: RateLimiter } & { readonly [K in keyof RateLimiterOptions]?: never })
    | (RateLimiterOptions & { readonly limiter?: never })
  );

/**
 * Wraps an MCP tool handler so that each call spends a point of the caller's
 * budget. Over the limit the handler is not called and the client gets an
 * `isError` result a model can act on ("Rate limit exceeded, retry after 12 s")
 * with `_meta["mcp-prod/ratelimit"]` carrying `retryAfterMs`. The parameters
 * reach the handler unchanged and the returned handler has the same type.
 *
 * @example
 * ```ts
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * import { withRateLimit } from "@mcp-prod/ratelimit";
 * import { z } from "zod";
 *
 * const server = new McpServer({ name: "weather", version: "1.0.0" });
 * server.registerTool(
 *   "forecast",
 *   { inputSchema: { city: z.string() } },
 *   withRateLimit(
 *     async ({ city }) => ({ content: [{ type: "text", text: `Sunny in ${city}` }] }),
 *     {
 *       points: 10,
 *       durationSeconds: 60,
 *       key: (args, extra) => extra.authInfo?.clientId ?? extra.sessionId,
 *     },
 *   ),
 * );
 * ```
 */
export function withRateLimit<H extends ToolHandler>(
  handler: H,
  options: WithRateLimitOptions<NoInfer<H>>,
  /** Where the public `withRateLimit` was called from, to recognise a limiter built per request. */
  site: string | undefined = callSite(),
): H {
  assertFunction(handler, "handler");
  assertOptions(options);
  if (options === undefined)
    throw new TypeError("Expected `options` to be an object, got undefined");
  assertKnownKeys(options, WITH_RATE_LIMIT_KEYS, "withRateLimit()", LIMITER_FOREIGN_KEYS);
  const { key: keyOf, tool, cost = 1, message = defaultMessage } = options;
  assertFunction(keyOf, "key", true);
  assertString(tool, "tool", true);
  assertPositiveInteger(cost, "cost");
  assertFunction(message, "message");
  const limiter = resolveLimiter(options as WithRateLimitOptions, site);
  assertCost(cost, limiter.points);
  const invoke = handler as unknown as (...params: unknown[]) => ToolResult | Promise<ToolResult>;

  const wrapped = async (...params: unknown[]): Promise<ToolResult> => {
    const call = readToolCall(params);
    const client =
      keyOf === undefined
        ? defaultKey(call.extra)
        : ((keyOf as (...keyParams: unknown[]) => string | undefined)(...params) ?? "anonymous");
    const key = tool === undefined ? client : `${tool}:${client}`;
    let result: Awaited<ReturnType<RateLimiter["consume"]>>;
    try {
      result = await limiter.consume(key, call.signal ? { cost, signal: call.signal } : { cost });
    } catch (error) {
      if (!RateLimitExceededError.isInstance(error)) throw error;
      const meta: RateLimitMeta = {
        limited: true,
        limit: error.limit,
        durationSeconds: error.durationSeconds,
        retryAfterMs: error.retryAfterMs,
        retryAfterSeconds: error.retryAfterSeconds,
      };
      return withResultMeta(textResult(message(error), true), RATE_LIMIT_META_KEY, meta);
    }
    const output = await invoke(...params);
    const meta: RateLimitMeta = {
      limited: false,
      limit: result.limit,
      remainingPoints: result.remainingPoints,
      store: result.store,
    };
    return withResultMeta(output, RATE_LIMIT_META_KEY, meta);
  };
  return asToolHandler<H>(wrapped);
}

const WITH_RATE_LIMIT_KEYS = [
  ...optionKeys<WrapperOptions>({ key: true, tool: true, cost: true, message: true }),
  "limiter",
  ...LIMITER_KEYS,
];

/** Where inline limiters were created: the same line twice means one limiter per request. */
const inlineSites = new Set<string>();

function resolveLimiter(options: WithRateLimitOptions, site: string | undefined): RateLimiter {
  const { limiter, key: _key, tool: _tool, cost: _cost, message: _message, ...rest } = options;
  if (limiter === undefined) {
    const created = createRateLimiter(rest as RateLimiterOptions);
    if (site !== undefined && inlineSites.has(site))
      warnOnce(
        "MCP_PROD_INLINE_LIMITER",
        `withRateLimit() at ${site} created a second limiter from inline options: a server built per request gets a fresh limiter each time and never limits anyone. Create one limiter with createRateLimiter() outside the factory and pass it as \`limiter\`.`,
      );
    else if (site !== undefined) inlineSites.add(site);
    return created;
  }
  if (typeof limiter !== "object" || limiter === null || typeof limiter.consume !== "function")
    throw new TypeError("Expected `limiter` to be a limiter from createRateLimiter()");
  const extra = Object.keys(rest).filter(
    (name) => (rest as Record<string, unknown>)[name] !== undefined,
  );
  if (extra.length > 0)
    throw new TypeError(
      `Expected either \`limiter\` or limiter options, got both (\`${extra.join("`, `")}\`)`,
    );
  return limiter;
}

/** The authenticated client, else the session; an HTTP call with neither is refused (see `key`). */
function defaultKey(extra: Record<string, unknown> | undefined): string {
  const { clientId, sessionId, http } = readCallContext(extra);
  const client = clientId ?? sessionId;
  if (client !== undefined) return client;
  if (!http) return "anonymous";
  throw new TypeError(
    'withRateLimit() cannot tell this call\'s client apart: it has no `authInfo.clientId` and no session id (a stateless HTTP server without authentication), so every client would share one limit. Pass `key`, e.g. `key: (args, extra) => extra.requestInfo?.headers["x-api-key"]`, or authenticate the requests.',
  );
}

function defaultMessage(error: RateLimitExceededError): string {
  return `${error.message}.`;
}
