import { warnCallbackFailure } from "@mcp-prod/internal";

/**
 * What an error reporter is told besides the error itself.
 *
 * @example
 * ```ts
 * createTelemetry({
 *   serviceName: "analytics-mcp",
 *   onError: (error, { tool, requestId }) => alerts.notify({ error, tool, requestId }),
 * });
 * ```
 */
export type ErrorContext = {
  /** The tool whose handler threw. */
  readonly tool: string;
  /** The call's arguments as the handler received them (`undefined` for a tool without an input schema). */
  readonly args: unknown;
  /** The telemetry's `serviceName`. */
  readonly service: string;
  /** The JSON-RPC request id, when the SDK gives one. */
  readonly requestId: string | number | undefined;
  /** The MCP session id, on transports that have sessions. */
  readonly sessionId: string | undefined;
};

/**
 * Called once for each error a tool handler throws (not for `isError` results
 * the handler chose to return, nor for cancelled calls). Whatever it throws or
 * rejects with becomes a process warning; the tool call is never affected.
 *
 * @example
 * ```ts
 * const onError: ErrorReporter = (error, { tool }) => errorTracker.capture(error, { tool });
 * ```
 */
export type ErrorReporter = (error: unknown, context: ErrorContext) => unknown;

/** A reporter's own failure must not reach the tool call; it is surfaced as a process warning. */
export function warnReporterFailure(error: unknown): void {
  warnCallbackFailure(error, "McpProdTelemetryWarning");
}
