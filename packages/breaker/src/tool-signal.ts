/**
 * A tool result, structurally: what `McpServer.registerTool` handlers return.
 */
export type ToolResult = {
  content?: ReadonlyArray<unknown> | undefined;
  // SDK 1.x types it as an object, 2.x as unknown.
  structuredContent?: unknown;
  isError?: boolean | undefined;
  _meta?: Record<string, unknown> | undefined;
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
 * The tool call's parameters with the request signal replaced by the call's
 * own `signal`, read only when the handler reads it, at `extra.signal` (SDK
 * 1.x) and `ctx.mcpReq.signal` (SDK 2.x). The arguments and every other field
 * pass through unchanged.
 */
export function withToolSignal(
  params: ReadonlyArray<unknown>,
  call: { readonly signal: AbortSignal },
): ReadonlyArray<unknown> {
  const last = params.length - 1;
  const extra = params[last];
  if (!isRecord(extra)) return params;
  const next = params.slice();
  if ("signal" in extra) {
    next[last] = new LazySignalContext(extra, call);
  } else if (isRecord(extra.mcpReq) && "signal" in extra.mcpReq) {
    next[last] = { ...extra, mcpReq: new LazySignalContext(extra.mcpReq, call) };
  }
  return next;
}

/**
 * A copy of a context object whose `signal` is a prototype getter. An own
 * accessor (`{ ...extra, get signal() {} }` or `Object.defineProperty`) puts
 * each copy in V8's slow mode and costs several µs per call; a class getter
 * keeps the copy a fast object.
 */
class LazySignalContext {
  readonly #call: { readonly signal: AbortSignal };

  constructor(source: Record<string, unknown>, call: { readonly signal: AbortSignal }) {
    this.#call = call;
    const target = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(source)) if (key !== "signal") target[key] = source[key];
  }

  get signal(): AbortSignal {
    return this.#call.signal;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
