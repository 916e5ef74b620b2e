import {
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";

/** A JSON-RPC request id. */
export type RequestId = string | number;

/** JSON-RPC and MCP error codes the gateway answers with. */
export const ERROR = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  /** MCP's "connection closed" and the transport-level refusals of Streamable HTTP. */
  connectionClosed: -32000,
  /** MCP's "request timed out"; also the gateway's refusals over HTTP (session not found). */
  requestTimeout: -32001,
} as const;

export { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS };

/** A protocol version the client may ask for, else the newest the gateway speaks. */
export function negotiateVersion(requested: unknown): string {
  return typeof requested === "string" && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
    ? requested
    : LATEST_PROTOCOL_VERSION;
}

/** Whether `version` sends SSE priming events (2025-11-25 and later). */
export const primes = (version: string): boolean => version >= "2025-11-25";

export type Params = Record<string, unknown>;

/** One message of a client's POST, classified. */
export type Incoming =
  | {
      readonly kind: "request";
      readonly id: RequestId;
      readonly method: string;
      readonly params: Params | undefined;
    }
  | { readonly kind: "notification"; readonly method: string; readonly params: Params | undefined }
  | { readonly kind: "response"; readonly id: RequestId; readonly message: Record<string, unknown> }
  | { readonly kind: "invalid"; readonly id: RequestId | null };

const isId = (value: unknown): value is RequestId =>
  typeof value === "string" || (typeof value === "number" && Number.isSafeInteger(value));
const isParams = (value: unknown): value is Params | undefined =>
  value === undefined || (typeof value === "object" && value !== null && !Array.isArray(value));

/** Classifies one decoded JSON value as a JSON-RPC 2.0 message. */
export function classify(value: unknown): Incoming {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { kind: "invalid", id: null };
  const message = value as Record<string, unknown>;
  const id = isId(message.id) ? message.id : null;
  if (message.jsonrpc !== "2.0") return { kind: "invalid", id };
  const { method, params } = message;
  if (typeof method === "string") {
    if (!isParams(params)) return { kind: "invalid", id };
    if (message.id === undefined) return { kind: "notification", method, params };
    return id === null ? { kind: "invalid", id } : { kind: "request", id, method, params };
  }
  if (id !== null && ("result" in message || "error" in message))
    return { kind: "response", id, message };
  return { kind: "invalid", id };
}

/** The text of a JSON-RPC result. */
export const resultText = (id: RequestId, result: unknown): string =>
  `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${JSON.stringify(result)}}`;

/** The text of a JSON-RPC error. */
export function errorText(
  id: RequestId | null,
  code: number,
  message: string,
  data?: unknown,
): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    error: data === undefined ? { code, message } : { code, message, data },
  });
}

/** An error the client gets as a JSON-RPC error with this code, message and data. */
export class RpcError extends Error {
  override readonly name = "RpcError";
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

/**
 * What the gateway needs to know of a message a backend sent, read without
 * decoding the whole message: a result of many megabytes is passed on as the
 * text it came as.
 */
export type Envelope = {
  readonly id: RequestId | undefined;
  readonly method: string | undefined;
  /** The message is a result (`result` present). */
  readonly result: boolean;
  /** The `error` member of an error response, decoded (it is small). */
  readonly error: { code: number; message: string; data?: unknown } | undefined;
  /** `result.isError` of a tool result. */
  readonly isError: boolean;
  /**
   * `result._meta`, decoded (what a backend's wrappers record there is small):
   * a backend's rate-limit refusal or degraded answer, for the gateway's
   * metrics. The answer itself is passed on as it came.
   */
  readonly meta: Readonly<Record<string, unknown>> | undefined;
};

/**
 * Reads the envelope of one JSON-RPC message in one pass over its text:
 * members of the top-level object (and of `result`) are located by skipping
 * strings with `indexOf` and nested values by depth, so a message costs time
 * linear in its size and only small members are decoded. Undefined when the
 * text is not a JSON object.
 */
export function readEnvelope(text: string): Envelope | undefined {
  const top = members(text, 0);
  if (!top) return undefined;
  const decode = (name: string): unknown => {
    const span = top.get(name);
    if (!span) return undefined;
    try {
      return JSON.parse(text.slice(span[0], span[1]));
    } catch {
      return undefined;
    }
  };
  const id = decode("id");
  const method = decode("method");
  const resultSpan = top.get("result");
  let isError = false;
  let meta: Record<string, unknown> | undefined;
  if (resultSpan) {
    const inner = members(text, resultSpan[0]);
    const flag = inner?.get("isError");
    isError = flag !== undefined && text.slice(flag[0], flag[1]) === "true";
    const metaSpan = inner?.get("_meta");
    if (metaSpan) {
      try {
        const decoded: unknown = JSON.parse(text.slice(metaSpan[0], metaSpan[1]));
        if (typeof decoded === "object" && decoded !== null && !Array.isArray(decoded))
          meta = decoded as Record<string, unknown>;
      } catch {
        // Not JSON: nothing to count; the answer still goes on as it came.
      }
    }
  }
  const error = decode("error") as Envelope["error"] | undefined;
  return {
    id: isId(id) ? id : undefined,
    method: typeof method === "string" ? method : undefined,
    result: resultSpan !== undefined,
    error:
      error && typeof error === "object" && typeof error.code === "number"
        ? {
            code: error.code,
            message: typeof error.message === "string" ? error.message : "",
            ...(error.data !== undefined ? { data: error.data } : {}),
          }
        : undefined,
    isError,
    meta,
  };
}

const WHITESPACE = new Set([0x20, 0x0a, 0x0d, 0x09]);

function skipWhitespace(text: string, index: number): number {
  let at = index;
  while (WHITESPACE.has(text.charCodeAt(at))) at += 1;
  return at;
}

/** The index after the string starting at `index` (a `"`), or -1. */
function skipString(text: string, index: number): number {
  let from = index + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let at = quote - 1; text.charCodeAt(at) === 0x5c; at -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** The index after the JSON value starting at `index`, or -1. */
function skipValue(text: string, index: number): number {
  const first = text.charCodeAt(index);
  if (first === 0x22) return skipString(text, index);
  if (first === 0x7b || first === 0x5b) {
    let depth = 0;
    for (let at = index; at < text.length; at += 1) {
      const code = text.charCodeAt(at);
      if (code === 0x22) {
        const after = skipString(text, at);
        if (after < 0) return -1;
        at = after - 1;
      } else if (code === 0x7b || code === 0x5b) depth += 1;
      else if (code === 0x7d || code === 0x5d) {
        depth -= 1;
        if (depth === 0) return at + 1;
      }
    }
    return -1;
  }
  let at = index;
  for (; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    if (code === 0x2c || code === 0x7d || code === 0x5d || WHITESPACE.has(code)) break;
  }
  return at > index ? at : -1;
}

/** The members of the object starting at `index` (after whitespace): name → [start, end) of the value. */
function members(text: string, index: number): Map<string, [number, number]> | undefined {
  let at = skipWhitespace(text, index);
  if (text.charCodeAt(at) !== 0x7b) return undefined;
  at += 1;
  const found = new Map<string, [number, number]>();
  for (;;) {
    at = skipWhitespace(text, at);
    const code = text.charCodeAt(at);
    if (code === 0x7d) return found;
    if (code === 0x2c) {
      at += 1;
      continue;
    }
    if (code !== 0x22) return undefined;
    const nameEnd = skipString(text, at);
    if (nameEnd < 0) return undefined;
    let name: string;
    try {
      name = JSON.parse(text.slice(at, nameEnd)) as string;
    } catch {
      return undefined;
    }
    at = skipWhitespace(text, nameEnd);
    if (text.charCodeAt(at) !== 0x3a) return undefined;
    const start = skipWhitespace(text, at + 1);
    const end = skipValue(text, start);
    if (end < 0) return undefined;
    found.set(name, [start, end]);
    at = end;
  }
}
