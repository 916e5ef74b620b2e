import type { ToolHandler } from "./tool-handler.ts";

/**
 * Calls a tool handler with the parameters its wrapper received, whatever its
 * arity or SDK generation.
 */
export function callToolHandler(handler: ToolHandler, params: ReadonlyArray<unknown>): unknown {
  return Reflect.apply(handler, undefined, params);
}

/**
 * Types a `withX` wrapper as the handler it wraps: it takes the same
 * parameters (passed on as received) and resolves with a result of the same
 * shape. TypeScript cannot derive a generic `H` from a rest-parameter
 * function, so this overload is the one place that states it.
 */
export function asToolHandler<H extends ToolHandler>(
  wrapped: (...params: unknown[]) => Promise<unknown>,
): H;
export function asToolHandler(wrapped: ToolHandler): ToolHandler {
  return wrapped;
}
