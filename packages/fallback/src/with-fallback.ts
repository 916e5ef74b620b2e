import {
  assertBoolean,
  assertFunction,
  asToolHandler,
  callToolHandler,
  isErrorResult,
  isToolResult,
  readToolCall,
  type ToolHandler,
  type ToolResult,
  ToolResultError,
  withResultMeta,
  withToolSignal,
} from "@mcp-prod/internal";
import {
  type AttemptContext,
  FALLBACK_KEYS,
  type FallbackOptions,
  readSettings,
  runChain,
} from "./chain.ts";
import { FallbackTimeoutError } from "./errors.ts";

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

/**
 * A Standard Schema (zod ≥ 3.24, valibot, arktype): the tool's `outputSchema`,
 * used to check what a fallback returns, at build time, at run time and in
 * the types of a fixed fallback result.
 */
export type OutputSchema<Output = unknown> = {
  readonly "~standard": {
    readonly validate: (
      value: unknown,
    ) =>
      | { readonly issues?: ReadonlyArray<{ readonly message: string }> | undefined }
      | PromiseLike<{ readonly issues?: ReadonlyArray<{ readonly message: string }> | undefined }>;
    readonly types?: { readonly output: Output } | undefined;
  };
};

/** The value type an {@link OutputSchema} accepts. */
export type OutputOf<Schema> = Schema extends OutputSchema<infer Output> ? Output : unknown;

/** Options of `withFallback`. */
export type WithFallbackOptions<
  Schema extends OutputSchema | undefined = OutputSchema | undefined,
> = Omit<FallbackOptions, "signal"> & {
  /**
   * Treat an `isError: true` result of the handler (or of a fallback with
   * another after it) as a failure and fall back. MCP tools report failure in
   * the result rather than by throwing; `when` receives it as a
   * {@link ToolResultError}.
   * @default true
   */
  readonly fallbackOnErrorResult?: boolean;
  /**
   * The tool's `outputSchema` (a Standard Schema such as `z.object(...)`). The
   * SDK rejects a non-error result without matching `structuredContent`, so
   * with this set a static fallback result is checked when the wrapper is
   * built (a `TypeError` if it does not match) and a fallback handler's result
   * when it is returned (a mismatch counts as that fallback failing).
   * @default undefined
   */
  readonly outputSchema?: Schema;
};

/** Who a content block is for, and how much it matters (MCP's `Annotations`). */
export type ContentAnnotations = {
  readonly audience?: ReadonlyArray<"user" | "assistant">;
  readonly priority?: number;
  readonly lastModified?: string;
};

type BlockExtras = {
  readonly annotations?: ContentAnnotations;
  readonly _meta?: Record<string, unknown>;
};

/**
 * One block of a tool result's `content`, as the MCP specification defines
 * it (the SDK's `ContentBlock`): a typo such as `{ type: "txt" }` fails to
 * compile instead of reaching a client as `Invalid tools/call result` during
 * the outage the fallback is for.
 *
 * @example
 * ```ts
 * const unavailable: ContentBlock = { type: "text", text: "Forecast temporarily unavailable" };
 * ```
 */
export type ContentBlock =
  | (BlockExtras & { readonly type: "text"; readonly text: string })
  | (BlockExtras & { readonly type: "image"; readonly data: string; readonly mimeType: string })
  | (BlockExtras & { readonly type: "audio"; readonly data: string; readonly mimeType: string })
  | (BlockExtras & {
      readonly type: "resource_link";
      readonly uri: string;
      readonly name: string;
      readonly title?: string;
      readonly description?: string;
      readonly mimeType?: string;
      readonly size?: number;
    })
  | (BlockExtras & {
      readonly type: "resource";
      readonly resource:
        | { readonly uri: string; readonly mimeType?: string; readonly text: string }
        | { readonly uri: string; readonly mimeType?: string; readonly blob: string };
    });

/**
 * A fixed fallback result: the SDK's `CallToolResult`, its content blocks
 * checked by the compiler.
 *
 * @example
 * ```ts
 * const degraded: FixedToolResult = { content: [{ type: "text", text: "Try again later" }], isError: true };
 * ```
 */
export type FixedToolResult = {
  readonly content: ReadonlyArray<ContentBlock>;
  readonly structuredContent?: Record<string, unknown>;
  readonly isError?: boolean;
  readonly _meta?: Record<string, unknown>;
};

/**
 * A fallback for handler `H`: a handler taking the same parameters, or a fixed
 * result. With an `outputSchema`, a fixed result must be an `isError` result
 * or carry `structuredContent` of the schema's type.
 */
export type ToolFallback<
  H extends ToolHandler,
  Schema extends OutputSchema | undefined = undefined,
> =
  | ((...params: Parameters<H>) => ToolResult | Promise<ToolResult>)
  | (Schema extends OutputSchema
      ?
          | (FixedToolResult & { readonly isError: true })
          | (Omit<FixedToolResult, "structuredContent"> & {
              readonly structuredContent: OutputOf<Schema>;
            })
      : FixedToolResult);

const WITH_FALLBACK_KEYS = [
  ...FALLBACK_KEYS.filter((key) => key !== "signal"),
  "fallbackOnErrorResult",
  "outputSchema",
];

/** A handler as the wrapper calls it: with the parameters it was given. */
type FallbackStep = (params: ReadonlyArray<unknown>) => ToolResult | Promise<ToolResult>;

/**
 * The handler form of `withFallback` (its public overloads and documentation
 * are in policy.ts): wraps `handler` so that a fallback answers when it
 * throws, times out or returns an `isError` result.
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
