import { defineError, McpProdError } from "@mcp-prod/internal";

/**
 * The base of every error this package raises. Match on `code` or use
 * `GatewayError.isInstance(error)`; never on the message.
 *
 * @example
 * ```ts
 * import { GatewayError } from "@mcp-prod/gateway";
 *
 * try {
 *   await createGateway(options);
 * } catch (error) {
 *   if (GatewayError.isInstance(error)) console.error(error.code, error.message);
 * }
 * ```
 */
export class GatewayError extends McpProdError {
  override readonly name: string = "GatewayError";
  constructor(message: string, options?: ErrorOptions) {
    super("EGATEWAY", message, options);
  }
  static {
    defineError(GatewayError, "gateway", "GatewayError", "GatewayError");
  }
}

/**
 * The gateway's configuration cannot work: two backends expose the same name,
 * or it would serve without authentication on a non-loopback address.
 */
export class GatewayConfigError extends GatewayError {
  override readonly name = "GatewayConfigError";
  override readonly code = "EGATEWAYCONFIG";
  static {
    defineError(GatewayConfigError, "gateway", "GatewayConfigError", "GatewayConfigError");
  }
}

/** Why a call to a backend failed: branch on it, never on the message. */
export type BackendErrorCode =
  /** No connection: refused, reset before the answer, unknown host. */
  | "EBACKENDUNAVAILABLE"
  /** The answer's stream ended (or broke) before the answer. */
  | "EBACKENDCLOSED"
  /** The call outlived its timeout. */
  | "EBACKENDTIMEOUT"
  /** The backend answered with an HTTP status outside 2xx (`status` says which). */
  | "EBACKENDSTATUS"
  /** The backend no longer knows the backend session (it restarted): open a new one. */
  | "EBACKENDSESSIONLOST"
  /** A message from the backend was larger than `maxResultBytes`. */
  | "EBACKENDTOOLARGE"
  /** The backend's answer is not JSON-RPC. */
  | "EBACKENDINVALID";

/**
 * A call to a backend failed at the HTTP level. Its message names the backend
 * and never quotes what the backend sent, which may hold secrets.
 */
export class BackendError extends GatewayError {
  override readonly name = "BackendError";
  declare readonly code: BackendErrorCode;
  /** The backend's label (its prefix, or its host and path). */
  readonly backend: string;
  /** The HTTP status, for `EBACKENDSTATUS` and `EBACKENDSESSIONLOST`. */
  readonly status: number | undefined;
  constructor(
    code: BackendErrorCode,
    backend: string,
    message: string,
    options?: ErrorOptions & { status?: number },
  ) {
    super(message, options);
    (this as { code: string }).code = code;
    this.backend = backend;
    this.status = options?.status;
  }
  static {
    defineError(BackendError, "gateway", "BackendError");
  }
}

/**
 * Whether the backend itself failed (unreachable, broken stream, timed out,
 * 5xx): what the breaker counts and what marks a backend down. Its refusals
 * (4xx), its JSON-RPC errors, a result too large and the caller's own
 * mistakes or cancellations are not failures of the backend.
 */
export function isBackendFailure(error: unknown): boolean {
  if (!BackendError.isInstance(error)) return false;
  if (error.code === "EBACKENDSTATUS") return (error.status ?? 0) >= 500;
  return (
    error.code === "EBACKENDUNAVAILABLE" ||
    error.code === "EBACKENDCLOSED" ||
    error.code === "EBACKENDTIMEOUT"
  );
}
