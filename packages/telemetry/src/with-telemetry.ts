import {
  assertFunction,
  assertKnownKeys,
  assertOptions,
  assertString,
  defineWrapper,
  type ToolHandler,
  type ToolPolicy,
} from "@mcp-prod/internal";
import {
  type TelemetryPolicyOptions,
  WITH_TELEMETRY_FOREIGN_KEYS,
  WITH_TELEMETRY_KEYS,
  type WithTelemetryOptions,
} from "./options.ts";

/** Checks `withTelemetry`'s options; the tool's `name` is required in the handler form. */
function checkOptions(options: unknown, nameRequired: boolean): TelemetryPolicyOptions {
  if (options === undefined)
    throw new TypeError("Expected `options` to be an object, got undefined");
  assertOptions(options);
  assertKnownKeys(options, WITH_TELEMETRY_KEYS, "withTelemetry()", WITH_TELEMETRY_FOREIGN_KEYS);
  const { telemetry, name } = options as TelemetryPolicyOptions;
  if (typeof telemetry?.wrap !== "function")
    throw new TypeError("Expected `telemetry` to be a telemetry from createTelemetry()");
  assertString(name, "name", !nameRequired);
  return options as TelemetryPolicyOptions;
}

/** The handler form of {@link withTelemetry}: `telemetry.wrap(name, handler)`. */
export function wrapWithTelemetry<H extends ToolHandler>(
  handler: H,
  options: WithTelemetryOptions,
): H {
  assertFunction(handler, "handler");
  const { telemetry, name } = checkOptions(options, true);
  return telemetry.wrap(name as string, handler);
}

const dispatch = defineWrapper({
  kind: "telemetry",
  wrap: wrapWithTelemetry,
  policy: (options: TelemetryPolicyOptions) => {
    const { telemetry, name } = checkOptions(options, false);
    return (handler, context) => telemetry.wrap(name ?? context.name, handler);
  },
});

/**
 * Instruments a tool handler, in the shape of every other `withX` wrapper:
 * `telemetry.wrap(name, handler)`. One `mcp_tool_calls_total{tool,status}`
 * increment, one `mcp_tool_duration_seconds{tool}` observation and one log
 * line per call, and thrown errors to the telemetry's `onError`. Returns a
 * handler of the same type; arguments and result pass through unchanged.
 *
 * @example
 * ```ts
 * import { createTelemetry, withTelemetry } from "@mcp-prod/telemetry";
 *
 * const telemetry = createTelemetry({ serviceName: "weather-mcp" });
 * server.registerTool(
 *   "forecast",
 *   { inputSchema: { city: z.string() } },
 *   withTelemetry(async ({ city }) => ({ content: [{ type: "text", text: `Sunny in ${city}` }] }), {
 *     telemetry,
 *     name: "forecast",
 *   }),
 * );
 * ```
 */
export function withTelemetry<H extends ToolHandler>(handler: H, options: WithTelemetryOptions): H;
/**
 * Telemetry as a policy for `compose(name, handler, ...policies)`, the tool's
 * name as the metrics' `tool` label unless `name` gives another. Outermost in
 * the order, so it sees every outcome: rate-limit refusals, fallbacks, open
 * circuits and timeouts included.
 *
 * @example
 * ```ts
 * import { compose, createTelemetry, withTelemetry } from "@mcp-prod/telemetry";
 *
 * const telemetry = createTelemetry({ serviceName: "weather-mcp" });
 * server.registerTool(
 *   "forecast",
 *   { inputSchema: { city: z.string() } },
 *   compose("forecast", forecastHandler, withTelemetry({ telemetry })),
 * );
 * ```
 */
export function withTelemetry<H extends ToolHandler = ToolHandler>(
  options: TelemetryPolicyOptions,
): ToolPolicy<H>;
export function withTelemetry(...params: unknown[]): unknown {
  return dispatch(params);
}
