import { definePolicy, type PolicyContext, type PolicyKind } from "./compose.ts";
import type { ToolHandler } from "./tool-handler.ts";

/** What {@link defineWrapper} needs to know of one `withX` wrapper. */
export type WrapperDefinition = {
  /** The wrapper's place in `compose`'s order. */
  readonly kind: PolicyKind;
  /** The handler form, `wrapWithX(handler, ...rest)`: what `withX(handler, ...rest)` returns. */
  readonly wrap: (handler: never, ...rest: never[]) => unknown;
  /**
   * The policy form: checks `withX(...args)`'s arguments at once (a wrong
   * option fails where the policy is written, not when `compose` applies it)
   * and returns how to wrap the handler `compose` gives it, with the tool's
   * name in the context.
   */
  readonly policy: (
    ...args: never[]
  ) => (handler: ToolHandler, context: PolicyContext) => ToolHandler;
  /**
   * What a function given alone is: the handler to wrap (`withTimeout(handler)`
   * misses its options and says so), or the policy's own argument (a fallback
   * handler: `withFallback(async () => …)`).
   * @default "handler"
   */
  readonly functionAlone?: "handler" | "policy";
};

/**
 * The one dispatch between a wrapper's two forms: `withX(handler, options)`
 * wraps a handler, `withX(options)` returns the policy for `compose`. Every
 * wrapper package's public `withX` declares its overloads (with their TSDoc)
 * and hands its parameters to the function this returns.
 *
 * @example
 * ```ts
 * const dispatch = defineWrapper({
 *   kind: "bulkhead",
 *   wrap: wrapWithBulkhead,
 *   policy: (options: WithBulkheadOptions) => (handler, { name }) => wrapWithBulkhead(handler, { name, ...options }),
 * });
 * export function withBulkhead<H extends ToolHandler>(handler: H, options: WithBulkheadOptions): H;
 * export function withBulkhead<H extends ToolHandler = ToolHandler>(options: WithBulkheadOptions): ToolPolicy<H>;
 * export function withBulkhead(...params: unknown[]): unknown {
 *   return dispatch(params);
 * }
 * ```
 */
export function defineWrapper(
  definition: WrapperDefinition,
): (params: ReadonlyArray<unknown>) => unknown {
  const { kind, functionAlone = "handler" } = definition;
  const wrap = definition.wrap as (...params: unknown[]) => unknown;
  const policy = definition.policy as (
    ...args: unknown[]
  ) => (handler: ToolHandler, context: PolicyContext) => ToolHandler;
  return (params) => {
    const handlerForm =
      params.length > 1 || (functionAlone === "handler" && typeof params[0] === "function");
    if (handlerForm) return wrap(...params);
    return definePolicy(kind, policy(...params));
  };
}
