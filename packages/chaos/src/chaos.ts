import {
  assertBoolean,
  assertFunction,
  assertKnownKeys,
  assertNonNegativeNumber,
  assertOptions,
  assertString,
  type ChaosEvents,
  type ChaosFaultKind,
  delay,
  describeValue,
  EventSource,
  isProductionEnvironment,
  readToolCall,
  seededRandom,
} from "@mcp-prod/internal";
import { ChaosFaultError, ChaosProductionError } from "./errors.ts";
import {
  ABORT_KEYS,
  type AbortFault,
  CHAOS_FOREIGN_KEYS,
  CHAOS_KEYS,
  type ChaosOptions,
  ERROR_KEYS,
  ERROR_RESULT_KEYS,
  type ErrorFault,
  type ErrorResultFault,
  LATENCY_KEYS,
  type LatencyFault,
} from "./options.ts";

/** How many calls chaos saw while enabled, and how many of each fault it injected. */
export type ChaosStats = { readonly calls: number } & Readonly<Record<ChaosFaultKind, number>>;

export type { ChaosEvents, ChaosFaultKind };

/** What a call should suffer, drawn once per call. */
type ChaosPlan = {
  readonly latencyMs: number;
  readonly outcome: "run" | "error" | "errorResult" | "abort";
};

const RUN: ChaosPlan = { latencyMs: 0, outcome: "run" };

/**
 * What `withChaos` (in this package) needs of a {@link Chaos} and its users do
 * not: set from inside the class, where its private members are in reach, and
 * left out of the package's exports.
 */
export let chaosInternals: {
  /** Draws what one call suffers; `tool` allows an error result. */
  plan(chaos: Chaos, tool: boolean): ChaosPlan;
  /** Runs `run` as `plan` says: waits, fails, or calls it. */
  apply<T>(
    chaos: Chaos,
    plan: ChaosPlan,
    signal: AbortSignal | undefined,
    run: () => T,
  ): Promise<Awaited<T>>;
  /** The text of an injected error result. */
  errorResultText(chaos: Chaos): string;
};

/**
 * Fault injection for game days and tests (Polly's Simmy for MCP servers):
 * latency, errors, error results and dropped calls, each at a rate, from a
 * seedable random source, switched on and off at run time. Create one with
 * {@link createChaos}.
 */
export class Chaos extends EventSource<ChaosEvents> {
  readonly #allowInProduction: boolean;
  readonly #latency: LatencyFault | undefined;
  readonly #error: ErrorFault | undefined;
  readonly #errorResult: { readonly rate: number; readonly text: string } | undefined;
  readonly #abortRate: number;
  readonly #random: () => number;
  readonly #counts = { calls: 0, latency: 0, error: 0, errorResult: 0, abort: 0 };
  #enabled = false;

  static {
    chaosInternals = {
      plan: (chaos, tool) => chaos.#plan(tool),
      apply: (chaos, plan, signal, run) => chaos.#apply(plan, signal, run),
      errorResultText: (chaos) => chaos.#errorResult?.text ?? "Injected fault",
    };
  }

  /** @internal use {@link createChaos}. */
  constructor(options: ChaosOptions = {}) {
    super();
    assertOptions(options);
    assertKnownKeys(options, CHAOS_KEYS, "createChaos()", CHAOS_FOREIGN_KEYS);
    const {
      enabled = false,
      allowInProduction = false,
      latency,
      error,
      errorResult,
      abort,
      seed,
      random,
    } = options;
    assertBoolean(enabled, "enabled");
    assertBoolean(allowInProduction, "allowInProduction");
    this.#latency = readFault<LatencyFault>(latency, "latency", LATENCY_KEYS);
    if (this.#latency !== undefined) assertNonNegativeNumber(this.#latency.ms, "latency.ms");
    this.#error = readFault<ErrorFault>(error, "error", ERROR_KEYS);
    const resultFault = readFault<ErrorResultFault>(errorResult, "errorResult", ERROR_RESULT_KEYS);
    if (resultFault !== undefined) {
      const { rate, text = "Injected fault" } = resultFault;
      assertString(text, "errorResult.text");
      this.#errorResult = { rate, text };
    }
    this.#abortRate = readFault<AbortFault>(abort, "abort", ABORT_KEYS)?.rate ?? 0;
    if (seed !== undefined && random !== undefined)
      throw new TypeError("Expected one of `seed` and `random`, got both");
    if (seed !== undefined && (typeof seed !== "number" || !Number.isFinite(seed)))
      throw new TypeError(`Expected \`seed\` to be a finite number, got ${describeValue(seed)}`);
    assertFunction(random, "random", true);
    this.#random = random ?? (seed === undefined ? Math.random : seededRandom(seed));
    this.#allowInProduction = allowInProduction;
    if (enabled) this.enable();
  }

  /**
   * Starts injecting faults. Throws {@link ChaosProductionError} where
   * `NODE_ENV` names production (`production` or `prod`, in any case, spaces
   * around it ignored) without `allowInProduction`.
   */
  enable(): void {
    const environment = process.env.NODE_ENV;
    if (isProductionEnvironment(environment) && !this.#allowInProduction)
      throw new ChaosProductionError(environment as string);
    this.#enabled = true;
  }

  /** Stops injecting faults: every call runs untouched. */
  disable(): void {
    this.#enabled = false;
  }

  /** Whether faults are being injected. */
  enabled(): boolean {
    return this.#enabled;
  }

  stats(): ChaosStats {
    return { ...this.#counts };
  }

  /**
   * Wraps any async function: while enabled, its calls suffer the configured
   * latency, errors and aborts. A latency wait honours the `signal` of an
   * object passed as the last argument (`fetch`-style `{ signal }`).
   *
   * @example
   * ```ts
   * const chaos = createChaos({ enabled: true, error: { rate: 0.2 } });
   * const fetchForecast = chaos.wrap(async (city: string, options: { signal: AbortSignal }) => {
   *   const response = await fetch(`https://api.example.com/forecast/${city}`, options);
   *   return response.json();
   * });
   * ```
   */
  wrap<F extends (...args: never[]) => unknown>(fn: F): F {
    assertFunction(fn, "fn");
    const call = fn as unknown as (...args: unknown[]) => unknown;
    const wrapped = (...args: unknown[]): unknown => {
      if (!this.#enabled) return call(...args);
      return this.#apply(this.#plan(false), readToolCall(args).signal, () => call(...args));
    };
    return wrapped as unknown as F;
  }

  #plan(tool: boolean): ChaosPlan {
    if (!this.#enabled) return RUN;
    this.#counts.calls += 1;
    const random = this.#random;
    const latency = this.#latency;
    const latencyMs = latency !== undefined && random() < latency.rate ? latency.ms : 0;
    if (latencyMs > 0) this.#count("latency");
    let outcome: ChaosPlan["outcome"] = "run";
    if (this.#abortRate > 0 && random() < this.#abortRate) outcome = "abort";
    else if (this.#error !== undefined && random() < this.#error.rate) outcome = "error";
    else if (tool && this.#errorResult !== undefined && random() < this.#errorResult.rate)
      outcome = "errorResult";
    if (outcome !== "run") this.#count(outcome);
    return latencyMs === 0 && outcome === "run" ? RUN : { latencyMs, outcome };
  }

  async #apply<T>(
    plan: ChaosPlan,
    signal: AbortSignal | undefined,
    run: () => T,
  ): Promise<Awaited<T>> {
    if (plan.latencyMs > 0) await delay(plan.latencyMs, signal);
    if (plan.outcome === "abort") throw new ChaosFaultError("abort");
    if (plan.outcome === "error") throw this.#makeError();
    return await run();
  }

  #makeError(): unknown {
    const configured = this.#error?.error;
    if (configured === undefined) return new ChaosFaultError("error");
    return typeof configured === "function" ? (configured as () => unknown)() : configured;
  }

  #count(fault: ChaosFaultKind): void {
    this.#counts[fault] += 1;
    if (this.hasListeners("inject")) this.emit("inject", { fault });
  }
}

function readFault<T extends { rate: number }>(
  value: unknown,
  name: string,
  keys: readonly string[],
): T | undefined {
  if (value === undefined) return undefined;
  assertOptions(value, name);
  assertKnownKeys(value, keys, `createChaos()'s \`${name}\``);
  const { rate } = value as { rate?: unknown };
  if (typeof rate !== "number" || !Number.isFinite(rate) || rate < 0 || rate > 1)
    throw new TypeError(
      `Expected \`${name}.rate\` to be a number from 0 to 1, got ${describeValue(rate)}`,
    );
  return value as T;
}

/**
 * Creates a fault injector, off unless `enabled: true` or `enable()` turns it
 * on, and never on where `NODE_ENV` is `production` unless
 * `allowInProduction: true`. Use it around a tool handler (`withChaos`) or any
 * async function (`chaos.wrap(fn)`).
 *
 * @example
 * ```ts
 * import { createChaos } from "@mcp-prod/chaos";
 *
 * const chaos = createChaos({
 *   enabled: process.env.CHAOS === "1",
 *   seed: 42,
 *   latency: { rate: 0.3, ms: 1500 },
 *   error: { rate: 0.2 },
 * });
 * ```
 */
export function createChaos(options?: ChaosOptions): Chaos {
  return new Chaos(options);
}
