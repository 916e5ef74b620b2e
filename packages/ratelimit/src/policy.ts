import {
  assertOptions,
  callSite,
  definePolicy,
  describeValue,
  type ToolHandler,
  type ToolPolicy,
} from "@mcp-prod/internal";
import { type WithRateLimitOptions, withRateLimit as wrapInRateLimit } from "./with-rate-limit.ts";

type PolicyForm<Options> = Options extends unknown
  ? Omit<Options, "tool"> & {
      /**
       * The tool part of the key (`<tool>:<client>`), so one limiter serves
       * every tool with a limit per tool. `false` counts the calls of every
       * tool sharing the limiter against one limit per client.
       * @default the tool's name given to `compose`
       */
      readonly tool?: string | false;
    }
  : never;

/**
 * Options of `withRateLimit`'s policy form: those of the handler form, with
 * `key` typed from the handler and `tool` defaulting to the tool's name.
 */
export type RateLimitPolicyOptions<H extends ToolHandler = ToolHandler> = PolicyForm<
  WithRateLimitOptions<H>
>;

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
  // The caller's line, to recognise a limiter built again per request.
  const site = callSite();
  if (typeof params[0] === "function" || params.length > 1)
    return wrapInRateLimit(params[0] as ToolHandler, params[1] as WithRateLimitOptions, site);
  const options = params[0] as RateLimitPolicyOptions | undefined;
  if (options === undefined)
    throw new TypeError("Expected `options` to be an object, got undefined");
  assertOptions(options);
  const { tool, ...rest } = options;
  if (tool !== undefined && tool !== false && typeof tool !== "string")
    throw new TypeError(`Expected \`tool\` to be a string or false, got ${describeValue(tool)}`);
  return definePolicy("ratelimit", (handler: ToolHandler, { name }) =>
    wrapInRateLimit(
      handler,
      {
        ...rest,
        ...(tool === false ? {} : { tool: tool ?? name }),
      } as WithRateLimitOptions,
      site,
    ),
  );
}
