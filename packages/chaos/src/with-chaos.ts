import {
  assertFunction,
  asToolHandler,
  callToolHandler,
  defineWrapper,
  readToolCall,
  type ToolHandler,
  type ToolPolicy,
  type ToolResult,
  textResult,
  withResultMeta,
} from "@mcp-prod/internal";
import { Chaos, chaosInternals } from "./chaos.ts";
import type { ChaosOptions } from "./options.ts";

/** The `_meta` key under which an injected error result is marked: `{ injected: "errorResult" }`. */
export const CHAOS_META_KEY = "mcp-prod/chaos";

function toChaos(value: unknown): Chaos {
  return value instanceof Chaos ? value : new Chaos(value as ChaosOptions);
}

/** The handler form of {@link withChaos}: wraps `handler` with a shared {@link Chaos} or a new one. */
export function wrapWithChaos<H extends ToolHandler>(handler: H, chaos: Chaos | ChaosOptions): H {
  assertFunction(handler, "handler");
  return wrapInChaos(handler, toChaos(chaos));
}

function wrapInChaos<H extends ToolHandler>(handler: H, chaos: Chaos): H {
  const wrapped = (...params: unknown[]): ToolResult | Promise<ToolResult> => {
    const plan = chaosInternals.plan(chaos, true);
    if (plan.outcome === "run" && plan.latencyMs === 0) return callToolHandler(handler, params);
    const { signal } = readToolCall(params);
    if (plan.outcome === "errorResult")
      return chaosInternals.apply(
        chaos,
        { latencyMs: plan.latencyMs, outcome: "run" },
        signal,
        () =>
          withResultMeta(textResult(chaosInternals.errorResultText(chaos), true), CHAOS_META_KEY, {
            injected: "errorResult",
          }),
      );
    return chaosInternals.apply(chaos, plan, signal, () => callToolHandler(handler, params));
  };
  return asToolHandler<H>(wrapped);
}

const dispatch = defineWrapper({
  kind: "chaos",
  wrap: wrapWithChaos,
  policy: (options: Chaos | ChaosOptions) => {
    // Built now, so a wrong option fails where the policy is written; every tool composed with it shares it.
    const chaos = toChaos(options);
    return (handler) => wrapInChaos(handler, chaos);
  },
});

/**
 * Wraps a tool handler with fault injection: while `chaos` is enabled, its
 * calls suffer the configured latency (ended early by the client's
 * cancellation), thrown errors, `isError` results (marked
 * `_meta["mcp-prod/chaos"] = { injected: "errorResult" }`) and dropped calls.
 * While disabled the handler is called directly. Takes a shared
 * {@link Chaos} (toggled at run time) or the options of a new one.
 *
 * @example
 * ```ts
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * import { createChaos, withChaos } from "@mcp-prod/chaos";
 *
 * const chaos = createChaos({ enabled: process.env.CHAOS === "1", errorResult: { rate: 0.5 } });
 * const server = new McpServer({ name: "weather", version: "1.0.0" });
 * server.registerTool(
 *   "status",
 *   {},
 *   withChaos(async () => ({ content: [{ type: "text", text: "all good" }] }), chaos),
 * );
 * ```
 */
export function withChaos<H extends ToolHandler>(handler: H, chaos: Chaos | ChaosOptions): H;
/**
 * Chaos as a policy for `compose(name, handler, ...policies)`, innermost:
 * chaos stands in for the handler's own faults, so every policy outside it
 * (breaker, retry, fallback) meets them.
 *
 * @example
 * ```ts
 * import { compose, createChaos, withChaos } from "@mcp-prod/chaos";
 *
 * const chaos = createChaos({ enabled: process.env.CHAOS === "1", error: { rate: 0.2 } });
 * server.registerTool("status", {}, compose("status", statusHandler, withChaos(chaos)));
 * ```
 */
export function withChaos<H extends ToolHandler = ToolHandler>(
  chaos: Chaos | ChaosOptions,
): ToolPolicy<H>;
export function withChaos(...params: unknown[]): unknown {
  return dispatch(params);
}
