/**
 * The one reader of what the MCP SDK hands a tool handler besides its
 * arguments: `extra` on SDK 1.x, `ctx` on SDK 2.x. The two generations put
 * the same facts in different places:
 *
 * | fact | 1.x `extra` | 2.x `ctx` |
 * |---|---|---|
 * | cancellation | `signal` | `mcpReq.signal` |
 * | JSON-RPC id | `requestId` | `mcpReq.id` |
 * | request `_meta` | `_meta` | `mcpReq._meta` |
 * | session | `sessionId` | `sessionId` |
 * | verified token | `authInfo` | `http.authInfo` |
 * | HTTP request | `requestInfo.headers` | `http.req.headers` |
 *
 * Every package reads them here, so a field the SDK moves is followed once.
 */

/** One call of a tool handler, read from its parameters whatever the arity or SDK generation. */
export type ToolCall = {
  /** The validated arguments, or `undefined` for a tool without an `inputSchema`. */
  readonly args: unknown;
  /** The SDK's `extra` (1.x) or `ctx` (2.x). */
  readonly extra: Record<string, unknown> | undefined;
  /** The request's signal: aborted when the client cancels. */
  readonly signal: AbortSignal | undefined;
};

/**
 * Splits a tool handler's parameters into arguments, context and signal:
 * `(args, extra)` with an `inputSchema`, `(extra)` without, on either SDK.
 *
 * @example
 * ```ts
 * const wrapped = (...params: unknown[]) => {
 *   const { signal } = readToolCall(params);
 *   return bulkhead.execute(() => callToolHandler(handler, params), { signal });
 * };
 * ```
 */
export function readToolCall(params: ReadonlyArray<unknown>): ToolCall {
  const extra = params.length > 0 ? params[params.length - 1] : undefined;
  const args = params.length > 1 ? params[0] : undefined;
  if (typeof extra !== "object" || extra === null) {
    return { args, extra: undefined, signal: undefined };
  }
  const context = extra as { signal?: unknown; mcpReq?: { signal?: unknown } };
  const signal = isSignal(context.signal)
    ? context.signal
    : isSignal(context.mcpReq?.signal)
      ? context.mcpReq.signal
      : undefined;
  return { args, extra: extra as Record<string, unknown>, signal };
}

/** Who made a call and how, read from the SDK's `extra` (1.x) or `ctx` (2.x); never the arguments. */
export type CallContext = {
  /** The JSON-RPC id of the request. */
  readonly requestId: string | number | undefined;
  /** The transport's session id, when the transport has sessions. */
  readonly sessionId: string | undefined;
  /** The authenticated client (`authInfo.clientId`), when the server verifies tokens. */
  readonly clientId: string | undefined;
  /** The verified token's scopes. */
  readonly scopes: readonly string[] | undefined;
  /** The request's `params._meta` (progress token, trace context, idempotency keys). */
  readonly meta: Readonly<Record<string, unknown>> | undefined;
  /** Whether the call came over HTTP (Streamable HTTP or SSE), as opposed to stdio or in memory. */
  readonly http: boolean;
};

const NO_CONTEXT: CallContext = Object.freeze({
  requestId: undefined,
  sessionId: undefined,
  clientId: undefined,
  scopes: undefined,
  meta: undefined,
  http: false,
});

type Extra = {
  readonly requestId?: unknown;
  readonly sessionId?: unknown;
  readonly _meta?: unknown;
  readonly authInfo?: { readonly clientId?: unknown; readonly scopes?: unknown };
  readonly requestInfo?: { readonly headers?: unknown };
  readonly mcpReq?: { readonly id?: unknown; readonly _meta?: unknown };
  readonly http?: {
    readonly authInfo?: { readonly clientId?: unknown; readonly scopes?: unknown };
    readonly req?: { readonly headers?: unknown };
  };
};

/**
 * Reads who made a call from the SDK's `extra` (1.x) or `ctx` (2.x). The
 * token itself is never read.
 *
 * @example
 * ```ts
 * const { clientId, sessionId } = readCallContext(readToolCall(params).extra);
 * const key = clientId ?? sessionId ?? "anonymous";
 * ```
 */
export function readCallContext(extra: unknown): CallContext {
  if (typeof extra !== "object" || extra === null) return NO_CONTEXT;
  const context = extra as Extra;
  const request = isRecord(context.mcpReq) ? context.mcpReq : undefined;
  const http = isRecord(context.http) ? context.http : undefined;
  const auth = isRecord(context.authInfo)
    ? context.authInfo
    : isRecord(http?.authInfo)
      ? http.authInfo
      : undefined;
  const meta = isRecord(context._meta)
    ? context._meta
    : isRecord(request?._meta)
      ? request._meta
      : undefined;
  return {
    requestId: idOf(context.requestId) ?? idOf(request?.id),
    sessionId: typeof context.sessionId === "string" ? context.sessionId : undefined,
    clientId: typeof auth?.clientId === "string" ? auth.clientId : undefined,
    scopes: Array.isArray(auth?.scopes) ? (auth.scopes as string[]) : undefined,
    meta: meta as Record<string, unknown> | undefined,
    http: context.requestInfo !== undefined || http !== undefined,
  };
}

/**
 * One header of the HTTP request a call came in on (lower-case `name`), or
 * `undefined` off HTTP. A header sent several times gives its first value.
 *
 * @example
 * ```ts
 * const version = readRequestHeader(extra, "mcp-protocol-version");
 * ```
 */
export function readRequestHeader(extra: unknown, name: string): string | undefined {
  if (typeof extra !== "object" || extra === null) return undefined;
  const context = extra as Extra;
  const headers = context.requestInfo?.headers ?? context.http?.req?.headers;
  if (typeof headers !== "object" || headers === null) return undefined;
  const get = (headers as { get?: unknown }).get;
  const value: unknown =
    typeof get === "function"
      ? get.call(headers, name)
      : (headers as Record<string, unknown>)[name.toLowerCase()];
  if (typeof value === "string") return value;
  return Array.isArray(value) && typeof value[0] === "string" ? value[0] : undefined;
}

function idOf(value: unknown): string | number | undefined {
  return typeof value === "string" || typeof value === "number" ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function isSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === "object" && value !== null && "aborted" in value && "addEventListener" in value
  );
}
