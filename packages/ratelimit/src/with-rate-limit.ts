import {
  assertFunction,
  assertKnownKeys,
  assertOptions,
  assertPositiveInteger,
  assertString,
  asToolHandler,
  callSite,
  clientAddress,
  defineWrapper,
  describeValue,
  followClientAddresses,
  readCallContext,
  readToolCall,
  type ToolHandler,
  type ToolPolicy,
  type ToolResult,
  textResult,
  warnIfRebuilt,
  warnOnce,
  withResultMeta,
} from "@mcp-prod/internal";
import { RateLimitExceededError } from "./errors.ts";
import { createRateLimiter, type RateLimiter, type RateLimitStore } from "./limiter.ts";
import {
  assertCost,
  LIMITER_FOREIGN_KEYS,
  type RateLimiterOptions,
  type RateLimitPolicyOptions,
  readLimiterOptions,
  WITH_RATE_LIMIT_KEYS,
  type WithRateLimitOptions,
} from "./options.ts";
import { obtainLimiter } from "./registry.ts";

/** The `_meta` key under which `withRateLimit` marks the results it returns. */
export const RATE_LIMIT_META_KEY = "mcp-prod/ratelimit";

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

/** The handler form of {@link withRateLimit}: `site` is where the public call was made. */
export function wrapWithRateLimit<H extends ToolHandler>(
  handler: H,
  options: WithRateLimitOptions<NoInfer<H>>,
  /** Where the public `withRateLimit` was called from, to recognise a limiter built per request. */
  site: string | undefined = callingSite ?? callSite(),
  /** The tool's name when `compose` applies the policy: an inline limiter's name. */
  toolName?: string,
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
  const limiter = resolveLimiter(options as WithRateLimitOptions, site, toolName);
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

/**
 * The limiter the options stand for: the shared `limiter`, or one made from
 * inline options. Named (by `compose` or `name`), that is the process's one
 * limiter of the name, found again when a server factory runs per request;
 * unnamed, it is the handler's own, and the same line building a second one is
 * warned about once.
 */
function resolveLimiter(
  options: WithRateLimitOptions,
  site: string | undefined,
  toolName: string | undefined,
): RateLimiter {
  const { limiter, key: _key, tool: _tool, cost: _cost, message: _message, ...rest } = options;
  if (limiter === undefined) {
    const limiterOptions = rest as RateLimiterOptions;
    const name = limiterOptions.name ?? toolName;
    if (name !== undefined) {
      const named = { ...limiterOptions, name };
      // Checked before the registry is asked, so a wrong value is named as such.
      readLimiterOptions(named);
      return obtainLimiter(
        name,
        named,
        () => createRateLimiter(named),
        toolName === undefined ? "withRateLimit()" : `compose("${toolName}")`,
      );
    }
    warnIfRebuilt(
      "MCP_PROD_INLINE_LIMITER",
      site,
      `withRateLimit() at ${site} created a second limiter from inline options: a server built per request gets a fresh limiter each time and never limits anyone. Give it a \`name\` (compose gives it the tool's), so that every request finds the same one in rateLimiterRegistry, or create one limiter with createRateLimiter() outside the factory and pass it as \`limiter\`.`,
    );
    return createRateLimiter(limiterOptions);
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

// Tool handlers are not handed the HTTP request: follow node:http's requests
// from the start, so the first request of a server built per request has its
// client's address too.
followClientAddresses();

/**
 * Who a call counts against without `key`: the authenticated client, else the
 * MCP session, else (a stateless HTTP server without authentication) the
 * client's remote address, with a warning once, since behind a proxy every
 * client has the proxy's address. Over stdio or in memory there is one client:
 * `"anonymous"`.
 */
function defaultKey(extra: Record<string, unknown> | undefined): string {
  const { clientId, sessionId, http } = readCallContext(extra);
  const client = clientId ?? sessionId;
  if (client !== undefined) return client;
  if (!http) return "anonymous";
  const address = clientAddress();
  if (address !== undefined) {
    warnOnce(
      "MCP_PROD_RATELIMIT_BY_ADDRESS",
      'withRateLimit() counts calls without an authenticated client or a session (a stateless HTTP server without authentication) against their remote address. Behind a reverse proxy every client has the proxy\'s address: pass `key`, e.g. `key: (args, extra) => extra.requestInfo?.headers["x-api-key"]`, or authenticate the requests.',
    );
    return `address:${address}`;
  }
  throw new TypeError(
    'withRateLimit() cannot tell this call\'s client apart: it has no `authInfo.clientId`, no session id and no remote address (an HTTP server outside node:http without authentication), so every client would share one limit. Pass `key`, e.g. `key: (args, extra) => extra.requestInfo?.headers["x-api-key"]`, or authenticate the requests.',
  );
}

function defaultMessage(error: RateLimitExceededError): string {
  return `${error.message}.`;
}

/** The caller's line while `withRateLimit` runs, to recognise a limiter built again per request. */
let callingSite: string | undefined;

const dispatch = defineWrapper({
  kind: "ratelimit",
  wrap: wrapWithRateLimit,
  policy: (options: RateLimitPolicyOptions) => {
    if (options === undefined)
      throw new TypeError("Expected `options` to be an object, got undefined");
    assertOptions(options);
    const { tool, ...rest } = options;
    if (tool !== undefined && tool !== false && typeof tool !== "string")
      throw new TypeError(`Expected \`tool\` to be a string or false, got ${describeValue(tool)}`);
    const site = callingSite;
    return (handler, { name }) =>
      wrapWithRateLimit(
        handler,
        { ...rest, ...(tool === false ? {} : { tool: tool ?? name }) } as WithRateLimitOptions,
        site,
        name,
      );
  },
});

// Listed before the handler form so that `Parameters<typeof withRateLimit>` stays the handler form's.
/**
 * The rate limit as a policy for `compose(name, handler, ...policies)`: the
 * key is `<tool>:<client>` with the tool's name unless `tool` says otherwise,
 * so one shared limiter gives each tool its own limit. Its place in the order
 * is just inside telemetry, so a refused call costs nothing below it.
 *
 * @example
 * ```ts
 * import { compose, createRateLimiter, withRateLimit } from "@mcp-prod/ratelimit";
 *
 * const limiter = createRateLimiter({ points: 60, durationSeconds: 60 });
 * server.registerTool(
 *   "forecast",
 *   { inputSchema: { city: z.string() } },
 *   compose("forecast", forecastHandler, withRateLimit({ limiter })),
 * );
 * ```
 */
export function withRateLimit<H extends ToolHandler = ToolHandler>(
  options: RateLimitPolicyOptions<H>,
): ToolPolicy<H>;
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
): H;
export function withRateLimit(...params: unknown[]): unknown {
  callingSite = callSite();
  try {
    return dispatch(params);
  } finally {
    callingSite = undefined;
  }
}
