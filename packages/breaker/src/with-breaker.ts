import {
  assertBoolean,
  assertFunction,
  assertOptions,
  assertString,
  asToolHandler,
  callSite,
  callToolHandler,
  defineWrapper,
  errorCode,
  isErrorResult,
  isOpossumBreaker,
  type OpossumBreaker,
  opossumRetryAfterMs,
  readToolCall,
  type ToolHandler,
  type ToolPolicy,
  type ToolResult,
  textResult,
  warnIfRebuilt,
  withResultMeta,
  withToolSignal,
} from "@mcp-prod/internal";
import { BreakerCore } from "./breaker.ts";
import { BreakerOpenError } from "./errors.ts";
import {
  type BreakerOptions,
  checkWithBreakerKeys,
  readBreakerOptions,
  type ToolBreakerOptions,
  type WithBreakerOptions,
} from "./options.ts";
import { obtainBreaker } from "./registry.ts";
import type { Breaker } from "./types.ts";

/** The `_meta` key under which the breaker marks the results it produced. */
export const BREAKER_META_KEY = "mcp-prod/breaker";

/**
 * The handler form of {@link withBreaker}: wraps `handler` in a breaker of its
 * own (named after the handler unless `name` says otherwise), or in the
 * shared `breaker`.
 */
export function wrapWithBreaker<H extends ToolHandler>(
  handler: H,
  options?: WithBreakerOptions,
  /** Who asks, in errors: `compose("forecast")` for the policy form. */
  caller = "withBreaker()",
  /** Where the public `withBreaker` was called from, to recognise a breaker built per request. */
  site: string | undefined = callingSite,
): H {
  assertFunction(handler, "handler");
  assertOptions(options);
  checkWithBreakerKeys(options);
  const {
    openMessage = "Service temporarily unavailable",
    countErrorResults = true,
    breaker: shared,
    ...breakerOptions
  } = (options ?? {}) as BreakerOptions &
    ToolBreakerOptions & { breaker?: Pick<Breaker, "execute" | "name"> | OpossumBreaker };
  assertString(openMessage, "openMessage");
  assertBoolean(countErrorResults, "countErrorResults");
  if (isOpossumBreaker(shared)) {
    if (options?.countErrorResults !== undefined)
      throw new TypeError(
        "Expected no `countErrorResults` with an opossum breaker: opossum counts its own fire() calls; use a breaker from createBreaker() to count isError results",
      );
    return guardWithOpossum(handler, shared, openMessage);
  }
  if (shared !== undefined) assertFunction(shared?.execute, "breaker.execute");
  const breaker = shared ?? inlineBreaker(handler, breakerOptions, caller, site);
  const isFailure = countErrorResults ? failedResult : undefined;

  const wrapped = async (...params: unknown[]): Promise<unknown> => {
    const { signal } = readToolCall(params);
    try {
      return await breaker.execute(
        (breakerCall) => callToolHandler(handler, withToolSignal(params, breakerCall)),
        { signal, isFailure },
      );
    } catch (error) {
      if (!BreakerOpenError.isInstance(error)) throw error;
      return openResult(openMessage, error.retryAfterMs);
    }
  };
  return asToolHandler<H>(wrapped);
}

/** The result a tool answers while its circuit is open. */
/**
 * The breaker inline options stand for. Named (by `compose` or `name`), it is
 * the process's one breaker of that name, found again when a server factory
 * runs per request; unnamed, it is the handler's own, and the same line
 * building a second one is warned about once.
 */
function inlineBreaker(
  handler: ToolHandler,
  options: BreakerOptions,
  caller: string,
  site: string | undefined,
): Pick<Breaker, "execute" | "name"> {
  const { name } = options;
  if (name !== undefined) {
    // Checked before the registry is asked, so a wrong value is named as such.
    readBreakerOptions(options, name, "withBreaker()", []);
    return obtainBreaker(
      name,
      options,
      () => new BreakerCore<unknown[], unknown>(undefined, options, false),
      caller,
    );
  }
  warnIfRebuilt(
    "MCP_PROD_INLINE_BREAKER",
    site,
    `withBreaker() at ${site} made a second breaker from inline options: a server built per request gets a new, closed breaker each time, which never opens. Give it a \`name\` (compose gives it the tool's), so that every request finds the same one in breakerRegistry, or create one with createBreaker() outside the factory and pass it as \`breaker\`.`,
  );
  return new BreakerCore<unknown[], unknown>(
    undefined,
    { name: handler.name || "tool", ...options },
    false,
  );
}

function openResult(openMessage: string, retryAfterMs: number): ToolResult {
  return withResultMeta(textResult(openMessage, true), BREAKER_META_KEY, {
    open: true,
    retryAfterMs,
  });
}

/**
 * An opossum breaker guards the tool: its action is the team's own upstream
 * call, fired from inside the handler, so opossum counts those calls itself.
 * While it is open (or half-open with its probe already out) the tool answers
 * at once with the open result, as it does with ours; a handler whose own
 * `breaker.fire()` is refused (opossum's `EOPENBREAKER`) answers the same.
 */
function guardWithOpossum<H extends ToolHandler>(
  handler: H,
  breaker: OpossumBreaker,
  openMessage: string,
): H {
  const refused = () => openResult(openMessage, opossumRetryAfterMs(breaker));
  const wrapped = async (...params: unknown[]): Promise<unknown> => {
    if (breaker.opened) return refused();
    try {
      return await callToolHandler(handler, params);
    } catch (error) {
      if (errorCode(error) === "EOPENBREAKER") return refused();
      throw error;
    }
  };
  return asToolHandler<H>(wrapped);
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

const dispatch = defineWrapper({
  kind: "breaker",
  wrap: wrapWithBreaker,
  policy: (options?: WithBreakerOptions) => {
    assertOptions(options);
    // Checked now, so a wrong option fails where the policy is written.
    checkWithBreakerKeys(options);
    const named = options?.breaker === undefined && options?.name === undefined;
    return (handler, { name }) =>
      wrapWithBreaker(
        handler,
        named ? ({ ...options, name } as WithBreakerOptions) : options,
        `compose("${name}")`,
        undefined,
      );
  },
});

/** The caller's line while `withBreaker` runs, to recognise a breaker built again per request. */
let callingSite: string | undefined;

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
export function withBreaker<H extends ToolHandler>(handler: H, options?: WithBreakerOptions): H;
/**
 * The breaker as a policy for `compose(name, handler, ...policies)`: the
 * breaker is created when the policy is applied, named after the tool unless
 * `name` (or a shared `breaker`) is given. Its place in the order is after
 * fallback and retry, before bulkhead, timeout and cache.
 *
 * @example
 * ```ts
 * import { compose, withBreaker } from "@mcp-prod/breaker";
 *
 * server.registerTool(
 *   "forecast",
 *   { inputSchema: { city: z.string() } },
 *   compose("forecast", forecastHandler, withBreaker({ consecutiveFailures: 5 })),
 * );
 * ```
 */
export function withBreaker<H extends ToolHandler = ToolHandler>(
  options?: WithBreakerOptions,
): ToolPolicy<H>;
export function withBreaker(...params: unknown[]): unknown {
  callingSite = callSite();
  try {
    return dispatch(params);
  } finally {
    callingSite = undefined;
  }
}
