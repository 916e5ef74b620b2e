import { hasMarker, markError } from "@mcp-prod/internal";

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
export class GatewayError extends Error {
  override readonly name: string = "GatewayError";
  readonly code: string = "EGATEWAY";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    markError(this, "GatewayError");
  }
  static isInstance(error: unknown): error is GatewayError {
    return hasMarker(error, "GatewayError");
  }
}

/**
 * The gateway's configuration cannot work: two backends expose the same name,
 * or it would serve without authentication on a non-loopback address.
 */
export class GatewayConfigError extends GatewayError {
  override readonly name = "GatewayConfigError";
  override readonly code = "EGATEWAYCONFIG";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    markError(this, "GatewayConfigError");
  }
  static override isInstance(error: unknown): error is GatewayConfigError {
    return hasMarker(error, "GatewayConfigError");
  }
}
