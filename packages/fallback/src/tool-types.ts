/**
 * A tool result as both SDK generations type it. The optional fields accept
 * `undefined` so that, under `exactOptionalPropertyTypes`, the SDK's own
 * `CallToolResult` (whose optional fields are `T | undefined`) still fits and
 * `registerTool` can infer a wrapped handler's parameters.
 */
export type ToolResultLike = {
  content?: ReadonlyArray<unknown> | undefined;
  /** An object in SDK 1.x; any JSON value in 2.x. */
  structuredContent?: unknown;
  isError?: boolean | undefined;
  _meta?: Record<string, unknown> | undefined;
  [key: string]: unknown;
};

/** Any tool handler: `(args, extra)`, `(extra)`, or the 2.x `(args, ctx)` / `(ctx)`. */
// biome-ignore lint/suspicious/noExplicitAny: handler parameters are whatever the SDK infers; wrappers return the same type
export type ToolHandlerLike = (...params: any[]) => ToolResultLike | Promise<ToolResultLike>;
