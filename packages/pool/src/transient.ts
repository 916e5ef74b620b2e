import { errorCode, findInCauses, isNetworkError } from "@mcp-prod/internal";

/** SQLSTATEs worth retrying: the database said "not now", not "never". */
const TRANSIENT_SQLSTATES = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "57P01", // admin_shutdown (pg_terminate_backend, server stopping)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (server starting up)
  "53300", // too_many_connections
]);

/** SQLSTATEs saying the server is going away or cannot take the connection now. */
const CONNECTION_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);

/**
 * True when `error` says the connection itself failed or was lost (the
 * statement's fate is unknown), read from codes only: a network code
 * (internal's table), SQLSTATE class 08 or a server going away, the pool's
 * own timeout, or `ECONNECTIONLOST`, which the pool gives a connection pg
 * reported lost without a code.
 */
export function isConnectionError(error: unknown): boolean {
  if (isNetworkError(error)) return true;
  return (
    findInCauses(error, (candidate) => {
      const code = errorCode(candidate);
      if (code === undefined) return undefined;
      if (code.startsWith("08") || CONNECTION_SQLSTATES.has(code)) return true;
      if (code === "ECONNECTIONLOST" || code === "EPOOLTIMEOUT") return true;
      return undefined;
    }) === true
  );
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
  const code = errorCode(error);
  if (code !== undefined && TRANSIENT_SQLSTATES.has(code)) return true;
  return isConnectionError(error);
}

/** A transaction may be re-run whole after these: the database rolled it back for a retry. */
export function isSerializationError(error: unknown): boolean {
  const code = errorCode(error);
  return code === "40001" || code === "40P01";
}
