import {
  assertFunction,
  assertKnownKeys,
  assertOptions,
  assertString,
  definePolicy,
  type ToolHandler,
  type ToolPolicy,
} from "@mcp-prod/internal";
import type { Telemetry } from "./telemetry.ts";

/** Options of {@link withTelemetry}'s policy form. */
export type TelemetryPolicyOptions = {
  /** The telemetry recording the calls: what `createTelemetry()` returned. */
  readonly telemetry: Pick<Telemetry, "wrap">;
  /**
   * The `tool` label of the metrics and log lines.
   * @default the tool's name given to `compose`
   */
  readonly name?: string;
};

/** Options of {@link withTelemetry}: the telemetry and the tool's name. */
export type WithTelemetryOptions = TelemetryPolicyOptions & {
  /** The `tool` label of the metrics and log lines: the name the tool is registered under. */
  readonly name: string;
};

const KNOWN_KEYS = ["telemetry", "name"] as const;
const FOREIGN_KEYS = { tool: "use `name` (the tool's name, the metrics' `tool` label)" };

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
  const withHandler = typeof params[0] === "function" || params.length > 1;
  const options = (withHandler ? params[1] : params[0]) as TelemetryPolicyOptions | undefined;
  if (withHandler) assertFunction(params[0], "handler");
  if (options === undefined)
    throw new TypeError("Expected `options` to be an object, got undefined");
  assertOptions(options);
  assertKnownKeys(options, KNOWN_KEYS, "withTelemetry()", FOREIGN_KEYS);
  const { telemetry, name } = options;
  if (typeof telemetry?.wrap !== "function")
    throw new TypeError("Expected `telemetry` to be a telemetry from createTelemetry()");
  assertString(name, "name", !withHandler);
  if (withHandler) return telemetry.wrap(name as string, params[0] as ToolHandler);
  return definePolicy("telemetry", (handler: ToolHandler, context) =>
    telemetry.wrap(name ?? context.name, handler),
  );
}
