import { PoolTimeoutError } from "./errors.ts";

/** SQLSTATEs worth retrying: the database said "not now", not "never". */
const TRANSIENT_SQLSTATES = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "57P01", // admin_shutdown (pg_terminate_backend, server stopping)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (server starting up)
  "53300", // too_many_connections
]);

/** Socket errors that say the network or the server went away, not that the request was wrong. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
]);

/**
 * pg reports a lost or timed-out connection with a plain `Error` and no code;
 * these are its messages (kept in one place so callers never match strings).
 */
const PG_CONNECTION_MESSAGES = [
  "Connection terminated",
  "timeout exceeded when trying to connect",
  "Client has encountered a connection error and is not queryable",
];

function codeOf(error: unknown): unknown {
  return typeof error === "object" && error !== null
    ? (error as { code?: unknown }).code
    : undefined;
}

/** True when `error` says the connection itself failed or was lost (the statement's fate is unknown). */
export function isConnectionError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    const code = codeOf(current);
    if (typeof code === "string") {
      if (NETWORK_CODES.has(code) || code.startsWith("08")) return true;
      if (code === "57P01" || code === "57P02" || code === "57P03" || code === "53300") return true;
    }
    if (PoolTimeoutError.isInstance(current)) return true;
    if (
      current instanceof Error &&
      code === undefined &&
      PG_CONNECTION_MESSAGES.some((text) => (current as Error).message.startsWith(text))
    ) {
      return true;
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

/**
 * True when retrying the failed operation later may succeed: connection
 * failures (refused, reset, lost, no connection within the pool's timeout) and
 * the SQLSTATE classes 08 (connection exception), 40001 (serialization
 * failure), 40P01 (deadlock), 57P01–57P03 (server shutting down or starting)
 * and 53300 (too many connections). Query timeouts, constraint violations,
 * syntax and permission errors are not transient.
 *
 * @example
 * ```ts
 * import { isTransientError } from "@mcp-prod/pool";
 *
 * try {
 *   await pool.query("UPDATE jobs SET done = true WHERE id = $1", [id]);
 * } catch (error) {
 *   if (isTransientError(error)) return { retryLater: true };
 *   throw error;
 * }
 * ```
 */
export function isTransientError(error: unknown): boolean {
  const code = codeOf(error);
  if (typeof code === "string" && TRANSIENT_SQLSTATES.has(code)) return true;
  return isConnectionError(error);
}

/** A transaction may be re-run whole after these: the database rolled it back for a retry. */
export function isSerializationError(error: unknown): boolean {
  const code = codeOf(error);
  return code === "40001" || code === "40P01";
}
