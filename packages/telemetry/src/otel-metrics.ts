import { type Attributes, meterSource } from "@mcp-prod/internal";

/**
 * The bucket boundaries, in seconds, the MCP semantic conventions advise for
 * `mcp.server.operation.duration` and `mcp.client.operation.duration`.
 *
 * @example
 * ```ts
 * new View({ instrumentName: "mcp.server.operation.duration",
 *   aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [...MCP_DURATION_BUCKETS] } } });
 * ```
 */
export const MCP_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300,
]);

/** The instrumentation scope of every span and metric this package emits. */
export const INSTRUMENTATION_SCOPE = "@mcp-prod/telemetry";

type Histogram = { record(value: number, attributes?: Attributes): void };
type Counter = { add(value: number, attributes?: Attributes): void };

/** The server side's instruments on the global meter, `undefined` while no SDK provides one. */
export const serverInstruments = meterSource(INSTRUMENTATION_SCOPE, undefined, (meter) => ({
  duration: meter.createHistogram("mcp.server.operation.duration", {
    unit: "s",
    description:
      "MCP request duration as observed on the receiver from the time it was received until the result is sent.",
    advice: { explicitBucketBoundaries: [...MCP_DURATION_BUCKETS] },
  }) as Histogram,
  degraded: meter.createCounter("mcp_prod.server.operation.degraded", {
    unit: "{operation}",
    description: "MCP requests answered in a degraded way (a fallback's result was served).",
  }) as Counter,
}));

/** The client side's instrument (a gateway's forwarded calls). */
export const clientInstruments = meterSource(INSTRUMENTATION_SCOPE, undefined, (meter) => ({
  duration: meter.createHistogram("mcp.client.operation.duration", {
    unit: "s",
    description:
      "The duration of the MCP request as observed on the sender from the time it was sent until the response is received.",
    advice: { explicitBucketBoundaries: [...MCP_DURATION_BUCKETS] },
  }) as Histogram,
}));
