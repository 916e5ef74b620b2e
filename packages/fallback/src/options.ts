import {
  assertFunction,
  assertKnownKeys,
  assertOptions,
  assertPositiveNumber,
  type ForeignKeys,
  optionKeys,
  type ToolHandler,
} from "@mcp-prod/internal";
import type { FallbackInfo } from "./chain.ts";
import type { OutputSchema, ToolFallback } from "./tool-fallback.ts";

/** Options of {@link fetchWithFallback} and {@link fallbackChain}. */
export type FallbackOptions = {
  /**
   * Decides whether an attempt's error is answered by the next attempt. Return
   * `false` for errors a fallback must not hide (input validation, 4xx-style
   * client errors): they are rethrown as they are. A caller's cancellation is
   * never answered by a fallback, whatever this returns.
   * @default () => true
   */
  readonly when?: (error: unknown) => boolean;
  /**
   * Deadline in milliseconds for each attempt that has a fallback after it.
   * When it passes, the attempt's signal is aborted with a
   * {@link FallbackTimeoutError} and the next attempt starts at once. The last
   * attempt has no deadline of its own: it runs under the caller's `signal`.
   * @default undefined (no deadline)
   */
  readonly timeoutMs?: number;
  /**
   * Called with the error just before a fallback runs: the place to log or
   * count degradations. A hook that throws does not break the call (the throw
   * becomes a process warning).
   * @default undefined
   */
  readonly onFallback?: (error: unknown, info: FallbackInfo) => void;
  /**
   * Cancels the whole call: the call rejects with `signal.reason` and no
   * fallback runs. The running attempt sees the abort on its own signal and is
   * expected to stop; the call rejects as soon as it settles (with
   * `timeoutMs`, at once if the attempt has read its signal, and at the latest
   * at the deadline). No listener is added per call just in case: on Node 20
   * one costs about a microsecond.
   * @default undefined
   */
  readonly signal?: AbortSignal;
};

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

/**
 * Options of `withFallback`'s policy form: the fallback (a handler, a fixed
 * result or a list of them) and the options of the handler form.
 */
export type FallbackPolicyOptions<
  H extends ToolHandler = ToolHandler,
  Schema extends OutputSchema | undefined = undefined,
> = WithFallbackOptions<Schema> & {
  /** What answers when the handler fails: a handler of the same parameters, a fixed result, or a list tried in turn. */
  readonly fallback: ToolFallback<H, Schema> | ReadonlyArray<ToolFallback<H, Schema>>;
};

/** The validated settings one chain run needs. */
export type ChainSettings = {
  readonly when: ((error: unknown) => boolean) | undefined;
  readonly timeoutMs: number | undefined;
  readonly onFallback: ((error: unknown, info: FallbackInfo) => void) | undefined;
};

const defaultSettings: ChainSettings = {
  when: undefined,
  timeoutMs: undefined,
  onFallback: undefined,
};

/** The option names of {@link FallbackOptions}. */
export const FALLBACK_KEYS = optionKeys<FallbackOptions>({
  when: true,
  timeoutMs: true,
  onFallback: true,
  signal: true,
});

/** Where other libraries' names for these options live here. */
export const FALLBACK_FOREIGN_KEYS: ForeignKeys = {
  shouldFallback: "use `when` (return false for errors a fallback must not hide)",
  fallbackOn: "use `when` (return false for errors a fallback must not hide)",
  onFailure: "use `onFallback`",
};

/** Validates the options shared by every entry point and fills their defaults. */
export function readSettings(
  options: Omit<FallbackOptions, "signal"> | undefined,
  where: string,
  known: readonly string[] = FALLBACK_KEYS,
): ChainSettings {
  if (options === undefined) return defaultSettings;
  assertOptions(options);
  assertKnownKeys(options, known, where, FALLBACK_FOREIGN_KEYS);
  const { when, timeoutMs, onFallback } = options;
  assertFunction(when, "when", true);
  assertPositiveNumber(timeoutMs, "timeoutMs", true);
  assertFunction(onFallback, "onFallback", true);
  return { when, timeoutMs, onFallback };
}

/** The option names of {@link WithFallbackOptions}. */
export const WITH_FALLBACK_KEYS = [
  ...FALLBACK_KEYS.filter((key) => key !== "signal"),
  "fallbackOnErrorResult",
  "outputSchema",
];

/** The fields of a tool result given as a fixed fallback. */
export const RESULT_KEYS = optionKeys<{
  readonly content?: unknown;
  readonly structuredContent?: unknown;
  readonly isError?: unknown;
  readonly _meta?: unknown;
}>({ content: true, structuredContent: true, isError: true, _meta: true });
