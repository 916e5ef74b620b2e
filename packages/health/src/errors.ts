import { defineError, McpProdError } from "@mcp-prod/internal";

/**
 * What went wrong, as a stable string to branch on (never the message):
 * - `ECHECKTIMEOUT`: a check did not settle within its `timeoutMs` (it is
 *   reported `unhealthy` with reason `timeout`; its signal is aborted with this error).
 * - `ECHECKFAILED`: a check adapter found its dependency unhealthy (an
 *   unexpected PING reply, a client that is not connected, an HTTP status).
 * - `ESHUTDOWNTIMEOUT`: in-flight requests or a cleanup hook outlived their
 *   timeout during graceful shutdown.
 *
 * @example
 * ```ts
 * if (HealthError.isInstance(error) && error.code === "ESHUTDOWNTIMEOUT") alert();
 * ```
 */
export type HealthErrorCode =
  | "ECHECKTIMEOUT"
  | "ECHECKFAILED"
  | "ESHUTDOWNTIMEOUT"
  | "EHEALTHCLOSED";

/**
 * The one error class of `@mcp-prod/health`. Detect it with
 * `HealthError.isInstance(error)`, which works across two installed copies of
 * the package, and branch on `code`.
 *
 * @example
 * ```ts
 * import { HealthError } from "@mcp-prod/health";
 *
 * health.on("check", (result) => {
 *   if (result.reason === "timeout") alertOnCall(result.name);
 * });
 * if (HealthError.isInstance(error) && error.code === "ECHECKTIMEOUT") retryLater();
 * ```
 */
export class HealthError extends McpProdError<HealthErrorCode> {
  override readonly name = "HealthError" as const;

  constructor(code: HealthErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }

  static {
    defineError(HealthError, "health", "HealthError", "HealthError");
  }
}
