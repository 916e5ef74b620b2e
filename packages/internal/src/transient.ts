/**
 * The one table of error codes that say "not now" rather than "never",
 * matched on `code` (never on message text) along an error's `cause` chain.
 * Retry's default `retryOn`, the pool's connection failures and the gateway's
 * backend failures all read it.
 */

/**
 * Socket and DNS codes (Node's `net`/`dns`, a stream closed early) and
 * undici's (`fetch`): the network or the peer went away, or its name does not
 * resolve yet (a service still starting); the request itself was not wrong. Undici's
 * `TypeError: fetch failed` carries one of these as its `cause`.
 */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ENETRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);

/**
 * The toolkit's own refusals and timeouts: an open breaker, a rate limit, a
 * full bulkhead, a pool, query, fallback, cache or tool deadline. Each means
 * the same call may succeed later.
 */
export const TOOLKIT_TRANSIENT_CODES: ReadonlySet<string> = new Set([
  "EOPENBREAKER",
  "ERATELIMITED",
  "EBULKHEADFULL",
  "EBULKHEADTIMEOUT",
  "EPOOLTIMEOUT",
  "EQUERYTIMEOUT",
  "EFALLBACKTIMEOUT",
  "ECACHETIMEOUT",
  "ETOOLTIMEOUT",
  // What the cache called ECACHETIMEOUT before the codes were unified: an
  // older installed copy still throws it.
  "ERR_CACHE_TIMEOUT",
]);

/** HTTP statuses that mean "not now": request timeout, too early, too many requests, the gateway family. */
export const TRANSIENT_HTTP_STATUSES: ReadonlySet<number> = new Set([
  408, 425, 429, 500, 502, 503, 504,
]);

/** How deep a `cause` chain is followed: deep enough for a wrapper of a wrapper, bounded against cycles. */
const MAX_DEPTH = 5;

/**
 * Calls `visit` with `error` and each `cause` under it (at most five deep)
 * until it returns something other than `undefined`, and returns that.
 */
export function findInCauses<T>(
  error: unknown,
  visit: (error: object) => T | undefined,
): T | undefined {
  let current = error;
  for (
    let depth = 0;
    depth < MAX_DEPTH && typeof current === "object" && current !== null;
    depth++
  ) {
    const found = visit(current);
    if (found !== undefined) return found;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The `code` of an error-like value, when it is a string. */
export function errorCode(error: unknown): string | undefined {
  const code =
    typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : undefined;
}

/**
 * True when `error`, or a `cause` under it, carries one of the
 * {@link NETWORK_ERROR_CODES}: the connection failed or was lost.
 *
 * @example
 * ```ts
 * try {
 *   await fetch(url);
 * } catch (error) {
 *   if (isNetworkError(error)) markBackendDown(); // TypeError: fetch failed, cause ECONNREFUSED
 * }
 * ```
 */
export function isNetworkError(error: unknown): boolean {
  return (
    findInCauses(error, (candidate) => {
      const code = errorCode(candidate);
      return code !== undefined && NETWORK_ERROR_CODES.has(code) ? true : undefined;
    }) === true
  );
}
