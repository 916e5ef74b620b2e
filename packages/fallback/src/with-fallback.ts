import {
  assertBoolean,
  assertFunction,
  assertKnownKeys,
  assertOptions,
  asToolHandler,
  callToolHandler,
  defineWrapper,
  isErrorResult,
  isToolResult,
  readToolCall,
  type ToolHandler,
  type ToolPolicy,
  type ToolResult,
  ToolResultError,
  withResultMeta,
  withToolSignal,
} from "@mcp-prod/internal";
import { type AttemptContext, runChain } from "./chain.ts";
import { FallbackTimeoutError } from "./errors.ts";
import {
  FALLBACK_FOREIGN_KEYS,
  type FallbackPolicyOptions,
  RESULT_KEYS,
  readSettings,
  WITH_FALLBACK_KEYS,
  type WithFallbackOptions,
} from "./options.ts";
import type { OutputSchema, ToolFallback } from "./tool-fallback.ts";

/**
 * The `_meta` key under which a result served by a fallback is marked:
 * `{ "mcp-prod/fallback": { degraded: true, reason: "error", attempt: 1 } }`.
 */
export const FALLBACK_META_KEY = "mcp-prod/fallback";

/**
 * Why the result is degraded, as a fixed set of values a metric can use as a
 * label (the error itself is never sent to the client).
 * - `"error"`: the handler (or the fallback before) threw.
 * - `"timeout"`: it ran longer than `timeoutMs`.
 * - `"errorResult"`: it returned an `isError: true` result.
 */
export type FallbackReason = "error" | "timeout" | "errorResult";

/** The value `withFallback` puts under {@link FALLBACK_META_KEY} in a degraded result's `_meta`. */
export type FallbackMeta = {
  readonly degraded: true;
  readonly reason: FallbackReason;
  /** Which fallback produced the result: 1 for the first. */
  readonly attempt: number;
};

/** A handler as the wrapper calls it: with the parameters it was given. */
type FallbackStep = (params: ReadonlyArray<unknown>) => ToolResult | Promise<ToolResult>;

/**
 * The handler form of {@link withFallback}: wraps `handler` so that a
 * fallback answers when it throws, times out or returns an `isError` result.
 */
export function wrapWithFallback<H extends ToolHandler>(
  handler: H,
  fallback: unknown,
  options?: WithFallbackOptions,
): H {
  assertFunction(handler, "handler");
  const settings = readSettings(options, "withFallback()", WITH_FALLBACK_KEYS);
  const { fallbackOnErrorResult = true, outputSchema } = options ?? {};
  assertBoolean(fallbackOnErrorResult, "fallbackOnErrorResult");
  assertOutputSchema(outputSchema);
  const steps = (Array.isArray(fallback) ? (fallback as unknown[]) : [fallback]).map(
    (item, index, all) =>
      toStep(item, all.length === 1 ? "fallback" : `fallback[${index}]`, outputSchema),
  );
  if (steps.length === 0) {
    throw new TypeError("Expected `fallback` to hold at least one fallback, got an empty array");
  }
  const count = steps.length + 1;
  const lastIndex = count - 1;
  const { timeoutMs, when: userWhen } = settings;
  // `when` has already been asked about an isError result (see invoke), so
  // the chain lets those through rather than asking twice.
  const chainSettings =
    userWhen === undefined
      ? settings
      : {
          ...settings,
          when: (error: unknown) => error instanceof ToolResultError || userWhen(error),
        };

  const invoke = async (
    index: number,
    context: AttemptContext,
    params: ReadonlyArray<unknown>,
  ): Promise<ToolResult> => {
    // Only an attempt with a deadline needs a signal of its own in its parameters.
    const callParams =
      timeoutMs !== undefined && index < lastIndex ? withToolSignal(params, context) : params;
    let result: ToolResult;
    if (index === 0) {
      result = await callToolHandler(handler, callParams);
    } else {
      result = await (steps[index - 1] as FallbackStep)(callParams);
      if (outputSchema !== undefined) await checkOutput(result, outputSchema);
    }
    const produced = index === 0 ? result : markDegraded(result, context.error, index);
    if (index < lastIndex && fallbackOnErrorResult && isErrorResult(result)) {
      const error = new ToolResultError(produced);
      // Declined by `when`: the result goes back as it was returned, not as a thrown error.
      if (userWhen !== undefined && !userWhen(error)) return produced;
      throw error;
    }
    return produced;
  };

  const wrapped = (...params: unknown[]): Promise<ToolResult> => {
    const call = readToolCall(params);
    return runChain(
      count,
      (index, context) => invoke(index, context, params),
      chainSettings,
      call.signal,
    );
  };
  return asToolHandler<H>(wrapped);
}

/**
 * The degraded mark `withFallback` put on a tool result, or `undefined` for a
 * result the handler produced itself. For clients, tests and metrics that see
 * results from any server using this package.
 *
 * @example
 * ```ts
 * import { getFallbackMeta } from "@mcp-prod/fallback";
 *
 * const result = await client.callTool({ name: "forecast", arguments: { city: "Oslo" } });
 * const degraded = getFallbackMeta(result);
 * if (degraded) degradedAnswers.inc({ tool: "forecast", reason: degraded.reason });
 * ```
 */
export function getFallbackMeta(result: unknown): FallbackMeta | undefined {
  if (typeof result !== "object" || result === null) return undefined;
  const meta = (result as { _meta?: Record<string, unknown> })._meta?.[FALLBACK_META_KEY];
  if (typeof meta !== "object" || meta === null) return undefined;
  return (meta as { degraded?: unknown }).degraded === true ? (meta as FallbackMeta) : undefined;
}

function markDegraded(result: ToolResult, error: unknown, attempt: number): ToolResult {
  const meta: FallbackMeta = { degraded: true, reason: reasonOf(error), attempt };
  return withResultMeta(result, FALLBACK_META_KEY, meta);
}

function reasonOf(error: unknown): FallbackReason {
  if (FallbackTimeoutError.isInstance(error)) return "timeout";
  if (ToolResultError.isInstance(error)) return "errorResult";
  return "error";
}

function toStep(item: unknown, name: string, outputSchema: OutputSchema | undefined): FallbackStep {
  if (typeof item === "function") {
    return (params) => callToolHandler(item as ToolHandler, params);
  }
  if (!isToolResult(item) || (item.content !== undefined && !Array.isArray(item.content))) {
    throw new TypeError(
      `Expected \`${name}\` to be a tool handler or a tool result ({ content: [...] }), got ${describe(item)}`,
    );
  }
  // A misspelt field would otherwise be served as an empty answer.
  assertKnownKeys(item, RESULT_KEYS, `withFallback()'s \`${name}\` result`);
  if (item.content === undefined && item.structuredContent === undefined) {
    throw new TypeError(
      `Expected \`${name}\` to be a tool handler or a tool result ({ content: [...] }), got ${Object.keys(item).length === 0 ? "an empty object" : "a result with neither `content` nor `structuredContent`"}`,
    );
  }
  if (outputSchema !== undefined) checkStaticOutput(item, name, outputSchema);
  const result = item;
  return () => result;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null || value === undefined) return String(value);
  return typeof value === "object" ? "an object" : typeof value;
}

function assertOutputSchema(value: unknown): asserts value is OutputSchema | undefined {
  if (value === undefined) return;
  const standard =
    typeof value === "object" && value !== null
      ? (value as { "~standard"?: { validate?: unknown } })["~standard"]
      : undefined;
  if (typeof standard?.validate !== "function") {
    throw new TypeError(
      `Expected \`outputSchema\` to be a Standard Schema such as z.object({...}), got ${describe(value)}`,
    );
  }
}

/** Checked while building the wrapper, so a static fallback that the SDK would reject fails at startup. */
function checkStaticOutput(result: ToolResult, name: string, schema: OutputSchema): void {
  if (result.isError === true) return;
  if (result.structuredContent === undefined) {
    throw new TypeError(
      `Expected \`${name}\` to supply \`structuredContent\`: the tool has an \`outputSchema\``,
    );
  }
  const outcome = schema["~standard"].validate(result.structuredContent);
  // An asynchronous schema cannot be checked here; the SDK still checks each result.
  if (typeof (outcome as PromiseLike<unknown>).then === "function") return;
  const issues = (outcome as { issues?: ReadonlyArray<{ message: string }> }).issues;
  if (issues !== undefined && issues.length > 0) {
    throw new TypeError(
      `Expected \`${name}.structuredContent\` to match \`outputSchema\`: ${issues.map((issue) => issue.message).join("; ")}`,
    );
  }
}

async function checkOutput(result: ToolResult, schema: OutputSchema): Promise<void> {
  if (result?.isError === true) return;
  if (result?.structuredContent === undefined) {
    throw new TypeError(
      "The fallback returned no `structuredContent` for a tool with an `outputSchema`",
    );
  }
  const { issues } = await schema["~standard"].validate(result.structuredContent);
  if (issues !== undefined && issues.length > 0) {
    throw new TypeError(
      `The fallback's \`structuredContent\` does not match \`outputSchema\`: ${issues.map((issue) => issue.message).join("; ")}`,
    );
  }
}

const dispatch = defineWrapper({
  kind: "fallback",
  wrap: wrapWithFallback,
  // A handler alone is the fallback of a policy: `withFallback(async () => …)`.
  functionAlone: "policy",
  policy: (given: unknown) => {
    if (given === undefined)
      throw new TypeError(
        "Expected a fallback (a handler, a result or a list of them) or `{ fallback, …options }`, got undefined",
      );
    let fallback = given;
    let options: WithFallbackOptions | undefined;
    if (isPolicyOptions(given)) {
      assertOptions(given);
      const { fallback: listed, ...rest } = given;
      fallback = listed;
      options = rest;
      readSettings(options, "withFallback()", WITH_FALLBACK_KEYS);
    } else if (isToolResult(given) && !Array.isArray(given)) {
      // Without `fallback` it is a fixed result: a misspelt `fallback`, or an
      // option given without one, is refused rather than served as an answer.
      assertKnownKeys(
        given,
        [...RESULT_KEYS, "fallback", ...WITH_FALLBACK_KEYS],
        "withFallback()",
        FALLBACK_FOREIGN_KEYS,
      );
      const option = Object.keys(given).find((key) => WITH_FALLBACK_KEYS.includes(key));
      if (option !== undefined)
        throw new TypeError(
          `withFallback() got \`${option}\` without \`fallback\`: pass { fallback, ${option}, … }`,
        );
    }
    // Checked now, so a wrong fallback fails where the policy is written.
    for (const [index, item] of (Array.isArray(fallback) ? fallback : [fallback]).entries())
      toStep(item, Array.isArray(fallback) ? `fallback[${index}]` : "fallback", undefined);
    return (handler) => wrapWithFallback(handler, fallback, options);
  },
});

/**
 * Wraps a tool handler so that when it throws, times out or returns an
 * `isError` result, a fallback answers instead: another handler called with
 * the same parameters, a fixed result, or a list of them tried in turn. The
 * fallback's result carries `_meta["mcp-prod/fallback"]` (see
 * `FallbackMeta`) so clients and metrics can tell it is degraded.
 *
 * Returns a handler of the same type, for both SDK generations and both
 * arities. A client's cancellation (`extra.signal`, or `ctx.mcpReq.signal`
 * in 2.x) is never answered by a fallback. With `timeoutMs`, the handler gets
 * a signal that is also aborted at the deadline. When every fallback fails
 * too, the call throws a `FallbackError`, which the SDK turns into an
 * `isError` result.
 *
 * @example
 * ```ts
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * import { withFallback } from "@mcp-prod/fallback";
 * import { z } from "zod";
 *
 * const server = new McpServer({ name: "weather", version: "1.0.0" });
 * server.registerTool(
 *   "forecast",
 *   { inputSchema: { city: z.string() } },
 *   withFallback(
 *     async ({ city }, { signal }) => ({ content: [{ type: "text", text: await liveForecast(city, signal) }] }),
 *     { content: [{ type: "text", text: "Forecast temporarily unavailable" }] },
 *     { timeoutMs: 3000 },
 *   ),
 * );
 * ```
 */
export function withFallback<H extends ToolHandler>(
  handler: H,
  fallback: NoInfer<ToolFallback<H> | ReadonlyArray<ToolFallback<H>>>,
  options?: WithFallbackOptions<undefined>,
): H;
export function withFallback<H extends ToolHandler, Schema extends OutputSchema>(
  handler: H,
  fallback: NoInfer<ToolFallback<H, Schema> | ReadonlyArray<ToolFallback<H, Schema>>>,
  options: WithFallbackOptions<Schema> & { readonly outputSchema: Schema },
): H;
/**
 * The fallback as a policy for `compose(name, handler, ...policies)`, with
 * options: `{ fallback, timeoutMs, when, outputSchema, … }` (recognised by its
 * `fallback` key). A fallback handler's parameters are typed from the handler
 * it ends up wrapping. Its place in the order is inside telemetry and the rate
 * limit, outside retry and the breaker, so it answers for their refusals too.
 *
 * @example
 * ```ts
 * import { compose, withFallback } from "@mcp-prod/fallback";
 *
 * server.registerTool(
 *   "forecast",
 *   { inputSchema: { city: z.string() } },
 *   compose(
 *     "forecast",
 *     forecastHandler,
 *     withFallback({ fallback: async ({ city }) => lastKnownForecast(city), timeoutMs: 3000 }),
 *   ),
 * );
 * ```
 */
export function withFallback<
  H extends ToolHandler = ToolHandler,
  Schema extends OutputSchema | undefined = undefined,
>(options: FallbackPolicyOptions<H, Schema>): ToolPolicy<H>;
/**
 * The fallback as a policy for `compose(name, handler, ...policies)`, given
 * the fallback alone: a handler of the same parameters, a fixed result or a
 * list of them.
 *
 * @example
 * ```ts
 * import { compose, withFallback } from "@mcp-prod/fallback";
 *
 * server.registerTool(
 *   "forecast",
 *   { inputSchema: { city: z.string() } },
 *   compose("forecast", forecastHandler, withFallback({ content: [{ type: "text", text: "Forecast unavailable" }] })),
 * );
 * ```
 */
export function withFallback<H extends ToolHandler = ToolHandler>(
  // Without `fallback?: never`, options whose `fallback` fails the first form would pass as a fixed result.
  fallback: (ToolFallback<H> | ReadonlyArray<ToolFallback<H>>) & { readonly fallback?: never },
): ToolPolicy<H>;
export function withFallback(...params: unknown[]): unknown {
  return dispatch(params);
}

function isPolicyOptions(value: unknown): value is FallbackPolicyOptions {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.hasOwn(value, "fallback")
  );
}
