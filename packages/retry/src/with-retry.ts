import {
  assertBoolean,
  assertFunction,
  assertKnownKeys,
  asToolHandler,
  callToolHandler,
  defineWrapper,
  isErrorResult,
  readToolCall,
  type ToolHandler,
  type ToolPolicy,
  type ToolResult,
  ToolResultError,
  withResultMeta,
} from "@mcp-prod/internal";
import {
  RETRY_FOREIGN_KEYS,
  readSettings,
  type Settings,
  WITH_RETRY_KEYS,
  type WithRetryOptions,
} from "./options.ts";
import { runRetry } from "./retry.ts";
import { isRetryable } from "./transient.ts";

/** The `_meta` key under which `withRetry` marks each result: `{ attempts: 2 }`. */
export const RETRY_META_KEY = "mcp-prod/retry";

/** The value `withRetry` puts under {@link RETRY_META_KEY} in a result's `_meta`. */
export type RetryMeta = {
  /** How many times the handler ran for this result. */
  readonly attempts: number;
};

function checkOptions(options: unknown): asserts options is WithRetryOptions {
  if (
    typeof options !== "object" ||
    options === null ||
    (options as WithRetryOptions).idempotent !== true
  ) {
    throw new TypeError(
      "withRetry() needs `idempotent: true`: retrying a tool runs it again, so a tool with side effects (a message sent, a row inserted) would repeat them; pass `idempotent: true` only when running it twice is safe",
    );
  }
}

type Prepared = { readonly settings: Settings; readonly retryErrorResults: boolean };

function prepare(options: unknown): Prepared {
  checkOptions(options);
  assertKnownKeys(options, WITH_RETRY_KEYS, "withRetry()", RETRY_FOREIGN_KEYS);
  const { idempotent: _idempotent, retryErrorResults = false, ...retryOptions } = options;
  assertBoolean(retryErrorResults, "retryErrorResults");
  const userRetryOn = retryOptions.retryOn;
  // Checked once here; each call reuses them with its request's signal.
  const settings = readSettings(
    retryErrorResults && userRetryOn === undefined
      ? {
          ...retryOptions,
          retryOn: (error: unknown) => ToolResultError.isInstance(error) || isRetryable(error),
        }
      : retryOptions,
    "withRetry()",
  );
  return { settings, retryErrorResults };
}

/** The handler form of {@link withRetry}: runs `handler` again on an error worth retrying. */
export function wrapWithRetry<H extends ToolHandler>(handler: H, options: WithRetryOptions): H {
  return wrapPrepared(handler, prepare(options));
}

function wrapPrepared<H extends ToolHandler>(
  handler: H,
  { settings, retryErrorResults }: Prepared,
): H {
  assertFunction(handler, "handler");
  const wrapped = (...params: unknown[]): Promise<ToolResult> => {
    const { signal } = readToolCall(params);
    let attempts = 0;
    const attempt = ({ attempt }: { attempt: number }) => {
      attempts = attempt;
      const answer = callToolHandler(handler, params);
      return retryErrorResults ? Promise.resolve(answer).then(refuseErrorResult) : answer;
    };
    const mark = (result: ToolResult) =>
      withResultMeta(result, RETRY_META_KEY, { attempts } satisfies RetryMeta);
    const settle = runRetry(attempt, settings, signal).then(mark);
    if (!retryErrorResults) return settle;
    return settle.catch((error: unknown) => {
      // Every attempt answered with an error result (or the last one did and
      // was not retried): that result is the answer, not an exception.
      const last = lastErrorResult(error);
      if (last === undefined) throw error;
      return mark(last);
    });
  };
  return asToolHandler<H>(wrapped);
}

function refuseErrorResult(answer: ToolResult): ToolResult {
  if (isErrorResult(answer)) throw new ToolResultError(answer);
  return answer;
}

function lastErrorResult(error: unknown): ToolResult | undefined {
  const candidate = ToolResultError.isInstance(error)
    ? error
    : typeof error === "object" && error !== null
      ? (error as { cause?: unknown }).cause
      : undefined;
  return ToolResultError.isInstance(candidate) ? candidate.result : undefined;
}

const dispatch = defineWrapper({
  kind: "retry",
  wrap: wrapWithRetry,
  policy: (options: WithRetryOptions) => {
    // Checked now, so a wrong option fails where the policy is written.
    const prepared = prepare(options);
    return (handler) => wrapPrepared(handler, prepared);
  },
});

/**
 * Wraps a tool handler so that a call failing with an error worth retrying
 * runs it again after a jittered wait, up to `attempts` times (see
 * {@link retry}). Only for idempotent tools: `idempotent: true` is required.
 * Thrown errors are retried; `isError` results only with
 * `retryErrorResults: true`. The request's signal is each attempt's signal,
 * and a client's cancellation ends a wait at once. Each result is marked
 * `_meta["mcp-prod/retry"] = { attempts }`. When every attempt throws, the
 * call throws a `RetryError` (the SDK answers it as an `isError` result).
 *
 * @example
 * ```ts
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * import { createRetryBudget, withRetry } from "@mcp-prod/retry";
 * import { z } from "zod";
 *
 * const budget = createRetryBudget({ ratio: 0.2 });
 * const server = new McpServer({ name: "weather", version: "1.0.0" });
 * server.registerTool(
 *   "forecast",
 *   { inputSchema: { city: z.string() } },
 *   withRetry(
 *     async ({ city }, { signal }) => {
 *       const response = await fetch(`https://api.example.com/forecast/${city}`, { signal });
 *       return { content: [{ type: "text", text: await response.text() }] };
 *     },
 *     { idempotent: true, attempts: 3, budget },
 *   ),
 * );
 * ```
 */
export function withRetry<H extends ToolHandler>(handler: H, options: WithRetryOptions): H;
/**
 * Retry as a policy for `compose(name, handler, ...policies)`, with the same
 * options (`idempotent: true` required). Its place in the order is inside the
 * fallback and outside the breaker, so it sees an open circuit's refusal and
 * waits the `retryAfterMs` it asks for.
 *
 * @example
 * ```ts
 * import { compose, withRetry } from "@mcp-prod/retry";
 *
 * server.registerTool("forecast", config, compose("forecast", handler, withRetry({ idempotent: true })));
 * ```
 */
export function withRetry<H extends ToolHandler = ToolHandler>(
  options: WithRetryOptions,
): ToolPolicy<H>;
export function withRetry(...params: unknown[]): unknown {
  return dispatch(params);
}
