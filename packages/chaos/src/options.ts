import { type ForeignKeys, optionKeys } from "@mcp-prod/internal";

/** Options of {@link createChaos}. Each fault's `rate` is the share of calls it hits, from 0 to 1. */
export type ChaosOptions = {
  /**
   * Whether faults are injected from the start; `enable()`/`disable()` toggle it.
   * @default false
   */
  readonly enabled?: boolean;
  /**
   * Allow enabling where `NODE_ENV` names production (a game day in production).
   * @default false
   */
  readonly allowInProduction?: boolean;
  /**
   * Delay `rate` of calls by `ms` before they run. The wait ends early, with
   * the signal's reason, when the call's signal aborts.
   * @default undefined (no latency)
   */
  readonly latency?: LatencyFault | undefined;
  /**
   * Fail `rate` of calls with `error` (an error, or a function returning a
   * fresh one per call) instead of running them.
   * @default undefined (no errors); `error` defaults to a ChaosFaultError (code ECHAOS)
   */
  readonly error?: ErrorFault | undefined;
  /**
   * Answer `rate` of tool calls with an `isError` result holding `text`
   * instead of running the handler (tool handlers only; `wrap` ignores it).
   * @default undefined (none); `text` defaults to "Injected fault"
   */
  readonly errorResult?: ErrorResultFault | undefined;
  /**
   * Cut `rate` of calls off before they run, as a reset connection would:
   * they reject with a ChaosFaultError whose code is ECONNRESET.
   * @default undefined (none)
   */
  readonly abort?: AbortFault | undefined;
  /**
   * Seed of the random source, so a run can be replayed.
   * @default undefined (Math.random)
   */
  readonly seed?: number | undefined;
  /**
   * The random source itself, a function returning numbers in [0, 1).
   * @default Math.random
   */
  readonly random?: (() => number) | undefined;
};

/** Delay `rate` of calls (0 to 1) by `ms` milliseconds. */
export type LatencyFault = { readonly rate: number; readonly ms: number };
/** Fail `rate` of calls (0 to 1) with `error`, or a function returning a fresh one per call. */
export type ErrorFault = { readonly rate: number; readonly error?: unknown };
/** Answer `rate` of tool calls (0 to 1) with an `isError` result holding `text`. */
export type ErrorResultFault = { readonly rate: number; readonly text?: string };
/** Cut `rate` of calls (0 to 1) off, as a reset connection would. */
export type AbortFault = { readonly rate: number };

/** The option names of {@link ChaosOptions} and of each fault, checked against the types by the compiler. */
export const CHAOS_KEYS = optionKeys<ChaosOptions>({
  enabled: true,
  allowInProduction: true,
  latency: true,
  error: true,
  errorResult: true,
  abort: true,
  seed: true,
  random: true,
});
export const LATENCY_KEYS = optionKeys<LatencyFault>({ rate: true, ms: true });
export const ERROR_KEYS = optionKeys<ErrorFault>({ rate: true, error: true });
export const ERROR_RESULT_KEYS = optionKeys<ErrorResultFault>({ rate: true, text: true });
export const ABORT_KEYS = optionKeys<AbortFault>({ rate: true });

/** Where Polly Simmy's and chaos-monkey's names live here. */
export const CHAOS_FOREIGN_KEYS: ForeignKeys = {
  injectionRate: "use the `rate` of each fault: `{ latency: { rate, ms } }`",
  InjectionRate: "use the `rate` of each fault: `{ latency: { rate, ms } }`",
  fault: "use `error: { rate, error }`",
  outcome: "use `errorResult: { rate, text }`",
  Latency: "use `latency: { rate, ms }`",
  Enabled: "use `enabled`",
};
