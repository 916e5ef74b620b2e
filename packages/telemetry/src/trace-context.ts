/** The `network.transport` values the conventions name for MCP. */
export const NETWORK_TRANSPORTS = ["tcp", "quic", "pipe", "unix"] as const;

/** `network.transport`: `tcp` (or `quic`) for Streamable HTTP, `pipe` for stdio. */
export type NetworkTransport = (typeof NETWORK_TRANSPORTS)[number];

type Carrier = Record<string, unknown>;

/** Reads W3C trace context fields (`traceparent`, `tracestate`, `baggage`) from a request's `_meta`. */
export const META_GETTER = {
  keys: (carrier: Carrier): string[] => Object.keys(carrier),
  get: (carrier: Carrier, key: string): string | undefined => {
    const value = carrier[key];
    return typeof value === "string" ? value : undefined;
  },
};

/** Writes them into a forwarded request's `_meta`. */
export const META_SETTER = {
  set: (carrier: Carrier, key: string, value: string): void => {
    carrier[key] = value;
  },
};
