import type { ToolHandler, ToolResult } from "./tool-handler.ts";

/**
 * Calls a tool handler with the parameters its wrapper received, whatever its
 * arity or SDK generation; what it answers is a tool result.
 */
export function callToolHandler(
  handler: ToolHandler,
  params: ReadonlyArray<unknown>,
): ToolResult | Promise<ToolResult> {
  return Reflect.apply(handler, undefined, params);
}

/**
 * Types a `withX` wrapper as the handler it wraps: it takes the same
 * parameters (passed on as received) and resolves with a result of the same
 * shape. TypeScript cannot derive a generic `H` from a rest-parameter
 * function, so this overload is the one place that states it.
 */
export function asToolHandler<H extends ToolHandler>(wrapped: (...params: unknown[]) => unknown): H;
export function asToolHandler(wrapped: (...params: never) => unknown): unknown {
  return wrapped;
}
