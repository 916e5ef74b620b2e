/**
 * What the default `retryOn` retries. Recognised by shape, never by importing
 * another package: a `transient`/`isTransient` mark, the codes the toolkit's
 * refusals and timeouts carry, network errors (also as the `cause` of
 * undici's `TypeError: fetch failed`), timeouts and HTTP statuses that mean
 * "not now".
 */

import {
  findInCauses,
  NETWORK_ERROR_CODES,
  TOOLKIT_TRANSIENT_CODES,
  TRANSIENT_HTTP_STATUSES,
} from "@mcp-prod/internal";

/** JSON-RPC's request timeout, as the MCP SDK's McpError carries it. */
const MCP_REQUEST_TIMEOUT = -32001;

type ErrorLike = {
  code?: unknown;
  name?: unknown;
  transient?: unknown;
  isTransient?: unknown;
  status?: unknown;
  statusCode?: unknown;
  response?: { status?: unknown } | undefined;
  cause?: unknown;
};

/**
 * True when trying again later may succeed: the default `retryOn`. A
 * validation error (`TypeError`, a zod error, an MCP `InvalidParams`), a
 * programming error or an error marked `transient: false` is never retried;
 * the caller's own cancellation never reaches `retryOn` at all.
 *
 * @example
 * ```ts
 * import { isRetryable, retry } from "@mcp-prod/retry";
 *
 * await retry(sendReport, {
 *   retryOn: (error) => isRetryable(error) || (error as { code?: string }).code === "EBUSY",
 * });
 * ```
 */
export function isRetryable(error: unknown): boolean {
  return findInCauses(error, verdictOf) ?? false;
}

/** What one error of the chain says: retry, never retry, or nothing (look at its cause). */
function verdictOf(error: object): boolean | undefined {
  const candidate = error as ErrorLike;
  const mark = transientMark(candidate);
  if (mark !== undefined) return mark;
  const { code } = candidate;
  if (
    typeof code === "string" &&
    (NETWORK_ERROR_CODES.has(code) || TOOLKIT_TRANSIENT_CODES.has(code))
  )
    return true;
  if (code === MCP_REQUEST_TIMEOUT) return true;
  if (candidate.name === "TimeoutError") return true;
  const status = candidate.status ?? candidate.statusCode ?? candidate.response?.status;
  if (typeof status === "number" && TRANSIENT_HTTP_STATUSES.has(status)) return true;
  return undefined;
}

function transientMark(candidate: ErrorLike): boolean | undefined {
  if (typeof candidate.transient === "boolean") return candidate.transient;
  if (typeof candidate.isTransient === "boolean") return candidate.isTransient;
  if (typeof candidate.isTransient === "function") {
    const value: unknown = (candidate.isTransient as () => unknown).call(candidate);
    return typeof value === "boolean" ? value : undefined;
  }
  return undefined;
}

/**
 * The wait an error asks for, in ms: `retryAfterMs` (an open breaker, a rate
 * limit refusal) or an HTTP `Retry-After` header (seconds or a date) on the
 * error or its `response`; `undefined` when it asks for none.
 */
export function retryAfterOf(error: unknown, now: () => number = Date.now): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { retryAfterMs, headers, response } = error as {
    retryAfterMs?: unknown;
    headers?: unknown;
    response?: { headers?: unknown } | undefined;
  };
  if (typeof retryAfterMs === "number" && Number.isFinite(retryAfterMs) && retryAfterMs >= 0)
    return retryAfterMs;
  const header = readHeader(headers) ?? readHeader(response?.headers);
  return header === undefined ? undefined : parseRetryAfter(header, now());
}

function readHeader(headers: unknown): string | undefined {
  if (typeof headers !== "object" || headers === null) return undefined;
  const get = (headers as { get?: unknown }).get;
  const value: unknown =
    typeof get === "function"
      ? get.call(headers, "retry-after")
      : ((headers as Record<string, unknown>)["retry-after"] ??
        (headers as Record<string, unknown>)["Retry-After"]);
  return typeof value === "string" ? value : undefined;
}

/** `Retry-After` is whole seconds or an HTTP date. */
export function parseRetryAfter(value: string, now: number): number | undefined {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
