import { defineError, McpProdError } from "@mcp-prod/internal";

/** Which fault a {@link ChaosFaultError} stands for. */
export type ChaosFault = "error" | "abort";

/**
 * A fault chaos injected: the call did not run.
 * - `fault: "error"`, `code: "ECHAOS"`: the `error` fault's default error;
 * - `fault: "abort"`, `code: "ECONNRESET"`: the call was cut off as a reset
 *   connection would cut it, so code that handles network errors handles it.
 *
 * Marked `transient: true`, so retry policies treat it as they would the
 * real thing.
 *
 * @example
 * ```ts
 * import { ChaosFaultError } from "@mcp-prod/chaos";
 *
 * if (ChaosFaultError.isInstance(error)) injectedFaults.inc({ fault: error.fault });
 * ```
 */
export class ChaosFaultError extends McpProdError<"ECHAOS" | "ECONNRESET"> {
  override readonly name = "ChaosFaultError";
  readonly fault: ChaosFault;
  readonly transient = true;

  constructor(fault: ChaosFault) {
    super(
      fault === "abort" ? "ECONNRESET" : "ECHAOS",
      fault === "abort" ? "Connection reset (injected by chaos)" : "Fault injected by chaos",
    );
    this.fault = fault;
  }

  static {
    defineError(ChaosFaultError, "chaos", "ChaosFaultError", "ChaosFaultError");
  }
}

/**
 * Chaos was asked to turn on where `NODE_ENV` names production (`production`
 * or `prod`, in any case) without `allowInProduction: true` (code
 * `ECHAOSPRODUCTION`).
 *
 * @example
 * ```ts
 * import { ChaosProductionError, createChaos } from "@mcp-prod/chaos";
 *
 * try {
 *   chaos.enable();
 * } catch (error) {
 *   if (ChaosProductionError.isInstance(error)) console.error("chaos stays off in production");
 * }
 * ```
 */
export class ChaosProductionError extends McpProdError<"ECHAOSPRODUCTION"> {
  override readonly name = "ChaosProductionError";

  /** The `NODE_ENV` that was refused, as it was spelt. */
  readonly environment: string;

  constructor(environment = "production") {
    super(
      "ECHAOSPRODUCTION",
      `Refusing to enable chaos: NODE_ENV is ${JSON.stringify(environment)}, a production environment; pass \`allowInProduction: true\` to createChaos() for a game day in production`,
    );
    this.environment = environment;
  }

  static {
    defineError(ChaosProductionError, "chaos", "ChaosProductionError", "ChaosProductionError");
  }
}
