import {
  assertFunction,
  asToolHandler,
  callToolHandler,
  definePolicy,
  readToolCall,
  type ToolHandler,
  type ToolPolicy,
  type ToolResult,
  textResult,
  withResultMeta,
} from "@mcp-prod/internal";
import { Chaos, type ChaosOptions, chaosInternals } from "./chaos.ts";

/** The `_meta` key under which an injected error result is marked: `{ injected: "errorResult" }`. */
export const CHAOS_META_KEY = "mcp-prod/chaos";

/**
 * Wraps a tool handler with fault injection: while `chaos` is enabled, its
 * calls suffer the configured latency (ended early by the client's
 * cancellation), thrown errors, `isError` results (marked
 * `_meta["mcp-prod/chaos"] = { injected: "errorResult" }`) and dropped calls.
 * While disabled the handler is called directly. Takes a shared
 * {@link Chaos} (toggled at run time) or the options of a new one.
 *
 * Called without a handler, it returns the policy for `compose`, innermost:
 * chaos stands in for the handler's own faults.
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
export function withChaos<H extends ToolHandler = ToolHandler>(
  chaos: Chaos | ChaosOptions,
): ToolPolicy<H>;
export function withChaos<H extends ToolHandler>(
  handlerOrChaos: H | Chaos | ChaosOptions,
  maybeChaos?: Chaos | ChaosOptions,
): H | ToolPolicy<H> {
  if (typeof handlerOrChaos === "function") return wrap(handlerOrChaos, toChaos(maybeChaos));
  const chaos = toChaos(handlerOrChaos);
  return definePolicy<H>("chaos", (handler) => wrap(handler, chaos));
}

function toChaos(value: unknown): Chaos {
  return value instanceof Chaos ? value : new Chaos(value as ChaosOptions);
}

function wrap<H extends ToolHandler>(handler: H, chaos: Chaos): H {
  assertFunction(handler, "handler");
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
