import {
  assertBoolean,
  assertFunction,
  assertKnownKeys,
  assertOptions,
  assertString,
  asToolHandler,
  callToolHandler,
  isErrorResult,
  optionKeys,
  readToolCall,
  type ToolHandler,
  type ToolResult,
  textResult,
  withResultMeta,
  withToolSignal,
} from "@mcp-prod/internal";
import { BreakerCore } from "./breaker.ts";
import { BreakerOpenError } from "./errors.ts";
import { BREAKER_FOREIGN_KEYS, BREAKER_OPTION_KEYS, type BreakerOptions } from "./options.ts";
import type { Breaker } from "./types.ts";

/** The `_meta` key under which the breaker marks the results it produced. */
export const BREAKER_META_KEY = "mcp-prod/breaker";

/** What `withBreaker` does with the tool's results. */
export type ToolBreakerOptions = {
  /**
   * Text of the `isError` result returned while the circuit is open.
   * @default "Service temporarily unavailable"
   */
  readonly openMessage?: string;
  /**
   * Count a result with `isError: true` as a failure (MCP tools report failure
   * in the result); the result itself still reaches the client.
   * @default true
   */
  readonly countErrorResults?: boolean;
};

/**
 * Options of {@link withBreaker}: either the breaker options for a breaker of
 * its own, or `breaker` to share one (for example one per upstream, guarding
 * several tools).
 */
export type WithBreakerOptions =
  | (BreakerOptions & ToolBreakerOptions & { readonly breaker?: undefined })
  | (ToolBreakerOptions & { readonly breaker: Pick<Breaker, "execute" | "name"> });

/**
 * Wraps an MCP tool handler in a circuit breaker and returns a handler of the
 * same type. While the circuit is open the tool answers
 * `{ content: [{ type: "text", text: "Service temporarily unavailable" }], isError: true }`
 * at once, marked `_meta["mcp-prod/breaker"] = { open: true, retryAfterMs }`;
 * other errors keep their normal path. The handler's signal is the call's own:
 * aborted by the breaker's `timeout` or the client's cancellation. Wrap once,
 * outside any per-request server factory, so the state is shared.
 *
 * @example
 * ```ts
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * import { withBreaker } from "@mcp-prod/breaker";
 * import { z } from "zod";
 *
 * const server = new McpServer({ name: "weather", version: "1.0.0" });
 * server.registerTool(
 *   "forecast",
 *   { inputSchema: { city: z.string() } },
 *   withBreaker(async ({ city }, { signal }) => {
 *     const response = await fetch(`https://api.example.com/${city}`, { signal });
 *     return { content: [{ type: "text", text: await response.text() }] };
 *   }, { name: "forecast", timeout: 5000, errorThresholdPercentage: 50, resetTimeout: 30000 }),
 * );
 * ```
 */
export function withBreaker<H extends ToolHandler>(handler: H, options?: WithBreakerOptions): H {
  assertFunction(handler, "handler");
  assertOptions(options);
  checkKeys(options);
  const {
    openMessage = "Service temporarily unavailable",
    countErrorResults = true,
    breaker: shared,
    ...breakerOptions
  } = (options ?? {}) as BreakerOptions &
    ToolBreakerOptions & { breaker?: Pick<Breaker, "execute" | "name"> };
  assertString(openMessage, "openMessage");
  assertBoolean(countErrorResults, "countErrorResults");
  if (shared !== undefined) assertFunction(shared?.execute, "breaker.execute");
  const breaker =
    shared ??
    new BreakerCore<unknown[], unknown>(
      undefined,
      { name: handler.name || "tool", ...breakerOptions },
      false,
    );
  const isFailure = countErrorResults ? failedResult : undefined;

  const wrapped = async (...params: unknown[]): Promise<unknown> => {
    const { signal } = readToolCall(params);
    try {
      return await breaker.execute(
        (breakerCall) => callToolHandler(handler, withToolSignal(params, breakerCall)),
        {
          signal,
          isFailure,
        },
      );
    } catch (error) {
      if (!BreakerOpenError.isInstance(error)) throw error;
      return withResultMeta(textResult(openMessage, true), BREAKER_META_KEY, {
        open: true,
        retryAfterMs: error.retryAfterMs,
      });
    }
  };
  return asToolHandler<H>(wrapped);
}

const TOOL_KEYS = [
  ...optionKeys<ToolBreakerOptions>({ openMessage: true, countErrorResults: true }),
  "breaker",
];

/** A shared breaker carries its own options; naming one here would be silently ignored. */
const SHARED_BREAKER_KEYS = Object.fromEntries(
  BREAKER_OPTION_KEYS.map((key) => [key, "set it in the shared breaker's own options"]),
);

function checkKeys(options: WithBreakerOptions | undefined): void {
  if (options?.breaker !== undefined)
    assertKnownKeys(options, TOOL_KEYS, "withBreaker()", {
      ...BREAKER_FOREIGN_KEYS,
      ...SHARED_BREAKER_KEYS,
    });
  else
    assertKnownKeys(
      options,
      [...TOOL_KEYS, ...BREAKER_OPTION_KEYS],
      "withBreaker()",
      BREAKER_FOREIGN_KEYS,
    );
}

/**
 * An `isError` result is a failure, except a bulkhead's refusal inside the
 * breaker (`_meta["mcp-prod/bulkhead"].rejected`, read structurally): shedding
 * load says nothing of the upstream's health, so it counts as neither.
 */
function failedResult(result: unknown): boolean | "excused" {
  if (!isErrorResult(result)) return false;
  const shed = result._meta?.["mcp-prod/bulkhead"] as { rejected?: unknown } | undefined;
  return shed?.rejected === true ? "excused" : true;
}
