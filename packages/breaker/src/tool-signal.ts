/**
 * A tool result, structurally: what `McpServer.registerTool` handlers return.
 */
export type ToolResult = {
  content?: ReadonlyArray<unknown>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
  [key: string]: unknown;
};

/**
 * Any MCP tool handler, either arity, either SDK generation: the constraint of
 * every `withX<H extends ToolHandler>(handler: H): H`.
 *
 * Declared here instead of taken from `@mcp-prod/internal` for two reasons:
 * the published declarations must not name that private package (the shared
 * tsup config cannot inline it), and a constraint whose return type is
 * `ToolResult | Promise<ToolResult>` stops TypeScript from typing an inline
 * handler's parameters from `inputSchema` (they become `any`). `never`
 * parameters and an `object` result keep the inference and still reject a
 * non-function or a handler returning a primitive.
 */
export type ToolHandler = (...params: never) => object | Promise<object>;

/**
 * The tool call's parameters with the request signal replaced by `signal()`,
 * read lazily, at `extra.signal` (SDK 1.x) and `ctx.mcpReq.signal` (SDK 2.x).
 * The arguments and every other field pass through unchanged.
 */
export function withToolSignal(
  params: ReadonlyArray<unknown>,
  signal: () => AbortSignal,
): ReadonlyArray<unknown> {
  const last = params.length - 1;
  const extra = params[last];
  if (!isRecord(extra)) return params;
  const copy: Record<string, unknown> = { ...extra };
  if ("signal" in extra) defineSignal(copy, signal);
  if (isRecord(extra.mcpReq) && "signal" in extra.mcpReq) {
    copy.mcpReq = defineSignal({ ...extra.mcpReq }, signal);
  }
  const next = params.slice();
  next[last] = copy;
  return next;
}

function defineSignal(target: Record<string, unknown>, signal: () => AbortSignal) {
  return Object.defineProperty(target, "signal", {
    get: signal,
    enumerable: true,
    configurable: true,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
