import { defineError, McpProdError } from "@mcp-prod/internal";

/**
 * What went wrong, for callers that branch on it (never on the message).
 *
 * @example
 * ```ts
 * if (TelemetryError.isInstance(error) && error.code === "EMETRICCONFLICT") {
 *   // a second telemetry on one registry
 * }
 * ```
 */
export type TelemetryErrorCode =
  /** The registry already holds a metric of that name (a second telemetry on one registry). */
  | "EMETRICCONFLICT"
  /** Two different objects of one kind were observed under the same `name`. */
  | "EDUPLICATENAME"
  /** The telemetry was used after `close()`. */
  | "ETELEMETRYCLOSED";

/**
 * The one error of `@mcp-prod/telemetry`. Detect it with
 * `TelemetryError.isInstance(error)`, which works across installed copies.
 *
 * @example
 * ```ts
 * try {
 *   telemetry.observeBreaker(breaker);
 * } catch (error) {
 *   if (TelemetryError.isInstance(error) && error.code === "EDUPLICATENAME") {
 *     // two breakers share a name: give each its own
 *   }
 * }
 * ```
 */
export class TelemetryError extends McpProdError<TelemetryErrorCode> {
  override readonly name = "TelemetryError" as const;

  constructor(code: TelemetryErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }

  static {
    defineError(TelemetryError, "telemetry", "TelemetryError", "TelemetryError");
  }
}
