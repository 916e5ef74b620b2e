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
