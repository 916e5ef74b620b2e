import type { ToolHandler } from "./tool-handler.ts";

/**
 * One-line composition of the tool-handler wrappers, with the tool's name
 * written once. Each package's `withX(options)` (called without a handler)
 * returns a {@link ToolPolicy}; `compose(name, handler, ...policies)` applies
 * them outermost first and checks their order. It lives in every package (this
 * module is inlined into each build), so composing needs no package of its own
 * and no package imports another: the order is carried by a `"~policy"` tag.
 */

/**
 * A string key, not a symbol: each package's bundled declarations would
 * declare a `unique symbol` of their own, and one package's `compose` would
 * then refuse, at compile time, another package's policies (the same reason
 * Standard Schema uses `"~standard"`).
 */
const POLICY = "~policy";

/**
 * The documented order, outermost first. A policy may only wrap those after it:
 * telemetry sees every outcome; a refused call (rate limit) costs nothing
 * below it; a fallback answers for everything inside it; idempotency sits
 * inside the fallback, so a degraded answer is never stored as the tool's, and
 * outside retry, so the retries of one call are one effect; retry sees the
 * breaker's refusal (and its `retryAfterMs`); the breaker counts each attempt
 * and sheds load before the bulkhead queues it; the timeout starts once a
 * slot is held; the cache answers from memory before the handler runs; chaos
 * stands in for the handler's own faults.
 */
export const POLICY_ORDER = [
  "telemetry",
  "ratelimit",
  "fallback",
  "idempotency",
  "retry",
  "breaker",
  "bulkhead",
  "timeout",
  "cache",
  "chaos",
] as const;

export type PolicyKind = (typeof POLICY_ORDER)[number];

/** What every policy is told about the tool it wraps. */
export type PolicyContext = {
  /** The tool's name, as given to `compose`. */
  readonly name: string;
};

/**
 * A wrapper waiting for its handler: `withBreaker({ timeout: 5000 })`. A
 * package's policy form is generic in `H` and takes it from where it is used,
 * so `compose(name, handler, withCache({ key: (args) => … }))` types `args`
 * from `handler`.
 */
export type ToolPolicy<H extends ToolHandler = ToolHandler> = {
  (handler: H, context: PolicyContext): H;
  /** Which policy this is, for `compose` to check the order. */
  readonly "~policy": PolicyKind;
};

/** Tags `wrap` as a policy of `kind`, for {@link compose} to order. */
export function definePolicy<H extends ToolHandler>(
  kind: PolicyKind,
  wrap: (handler: H, context: PolicyContext) => H,
): ToolPolicy<H> {
  return Object.defineProperty(wrap, POLICY, { value: kind, enumerable: false }) as ToolPolicy<H>;
}

/** The kind of a policy made by {@link definePolicy}, or `undefined` for anything else. */
function policyKind(value: unknown): PolicyKind | undefined {
  if (typeof value !== "function") return undefined;
  const kind = (value as { [POLICY]?: unknown })[POLICY];
  return POLICY_ORDER.includes(kind as PolicyKind) ? (kind as PolicyKind) : undefined;
}

/**
 * Applies `policies` to `handler`, the first listed outermost, and returns a
 * handler of the same type. Throws a `TypeError` for something that is not a
 * policy, a policy listed twice, or policies out of the documented order
 * ({@link POLICY_ORDER}), naming both. Each policy is told the tool's `name`
 * and uses it where its options name none (the breaker's name, the telemetry
 * label, the rate-limit key).
 *
 * @example
 * ```ts
 * server.registerTool(
 *   "forecast",
 *   { inputSchema: { city: z.string() } },
 *   compose(
 *     "forecast",
 *     async ({ city }, { signal }) => ({
 *       content: [{ type: "text", text: await forecast(city, signal) }],
 *     }),
 *     withTelemetry({ telemetry }),
 *     withFallback({ content: [{ type: "text", text: "Forecast unavailable" }] }),
 *     withBreaker({ timeout: 5000 }),
 *     withCache({ cache, key: ({ city }) => `forecast:${city}` }),
 *   ),
 * );
 * ```
 */
export function compose<H extends ToolHandler>(
  name: string,
  handler: H,
  ...policies: ReadonlyArray<ToolPolicy<NoInfer<H>>>
): H {
  if (typeof name !== "string" || name.length === 0)
    throw new TypeError("Expected the tool's `name` as compose()'s first argument");
  if (typeof handler !== "function")
    throw new TypeError("Expected the tool's `handler` as compose()'s second argument");
  let previous: { kind: PolicyKind; rank: number } | undefined;
  policies.forEach((policy, index) => {
    const kind = policyKind(policy);
    if (kind === undefined)
      throw new TypeError(
        `compose() argument ${index + 3} is not a policy: call a wrapper without its handler, such as withBreaker({ … })`,
      );
    const rank = POLICY_ORDER.indexOf(kind);
    if (previous !== undefined && rank === previous.rank)
      throw new TypeError(`compose("${name}") lists the ${kind} policy twice`);
    if (previous !== undefined && rank < previous.rank)
      throw new TypeError(
        `compose("${name}") puts ${kind} inside ${previous.kind}; the order is ${POLICY_ORDER.join(" → ")} (outermost first)`,
      );
    previous = { kind, rank };
  });
  const context: PolicyContext = { name };
  let wrapped = handler;
  for (let index = policies.length - 1; index >= 0; index--)
    wrapped = (policies[index] as ToolPolicy<H>)(wrapped, context);
  return wrapped;
}
