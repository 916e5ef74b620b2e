/**
 * The structural shape of an MCP tool handler, shared by every `withX`
 * wrapper. It needs nothing from the SDK at run time and matches both SDK
 * generations:
 * - 1.x `McpServer.registerTool`: `(args, extra)` with an `inputSchema`,
 *   `(extra)` without; the request's signal at `extra.signal`.
 * - 2.x `@modelcontextprotocol/server`: `(args, ctx)` / `(ctx)`, the signal at
 *   `ctx.mcpReq.signal`.
 */
export type ToolResult = {
  // `| undefined` on each: the SDK's CallToolResult is typed that way, and under
  // exactOptionalPropertyTypes it must still satisfy ToolHandler.
  content?: ReadonlyArray<unknown> | undefined;
  // 2.x types it as unknown.
  structuredContent?: unknown;
  isError?: boolean | undefined;
  _meta?: Record<string, unknown> | undefined;
  [key: string]: unknown;
};

/**
 * Any tool handler. Parameters are `never` and the result `object` on purpose:
 * a constraint that names the result type (`ToolResult | Promise<ToolResult>`)
 * makes TypeScript type an inline handler's parameters as `any` inside
 * `registerTool(name, config, withX(async ({ city }) => …))`; this one keeps
 * them inferred from the tool's `inputSchema`, on both SDK generations.
 */
export type ToolHandler = (...params: never) => object | Promise<object>;

/** A text result, the shape the SDK itself builds for an error. */
export function textResult(text: string, isError = false): ToolResult {
  return isError
    ? { content: [{ type: "text", text }], isError: true }
    : { content: [{ type: "text", text }] };
}

/** A copy of `result` with `key: value` added to its `_meta`. */
export function withResultMeta(result: ToolResult, key: string, value: unknown): ToolResult {
  // Object.assign copies what a spread copies; `{ ...result._meta, [key]: value }`
  // with a key such as "mcp-prod/retry" takes V8's slow path (about 1 µs a call).
  const meta: Record<string, unknown> = Object.assign({}, result._meta);
  meta[key] = value;
  const copy: ToolResult = Object.assign({}, result);
  copy._meta = meta;
  return copy;
}

export function isToolResult(value: unknown): value is ToolResult {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
