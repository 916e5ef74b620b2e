import type { ToolHandler } from "./tool-handler.ts";

/**
 * One-line composition of the tool-handler wrappers, with the tool's name
 * written once. Each package's `withX(options)` (called without a handler)
 * returns a {@link ToolPolicy}; `compose(name, handler, ...policies)` applies
 * them outermost first and checks their order. It lives in every package (this
 * module is inlined into each build), so composing needs no package of its own
 * and no package imports another: the order is carried by a tag on the function.
 *
 * The tag is a string key, not a symbol: each package's bundled declarations
 * would declare a symbol of their own (`unique symbol` types never match across
 * files), and `compose` from one package would refuse another's policies.
 */

const POLICY = "~mcp-prod.policy";

/**
 * The documented order, outermost first. A policy may only wrap those after it:
 * telemetry sees every outcome; a refused call (rate limit) costs nothing
 * below it; a fallback answers for everything inside it; retry sees the
 * breaker's refusal (and its `retryAfterMs`); the breaker counts each attempt
 * and sheds load before the bulkhead queues it; the timeout starts once a
 * slot is held; the cache answers from memory before the handler runs; chaos
 * stands in for the handler's own faults.
 */
export const POLICY_ORDER = [
  "telemetry",
  "ratelimit",
  "fallback",
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
  readonly [POLICY]: PolicyKind;
};

/** Tags `wrap` as a policy of `kind`, for {@link compose} to order. */
export function definePolicy<H extends ToolHandler>(
  kind: PolicyKind,
  wrap: (handler: H, context: PolicyContext) => H,
): ToolPolicy<H> {
  return Object.defineProperty(wrap, POLICY, { value: kind, enumerable: false }) as ToolPolicy<H>;
}

export function policyKind(value: unknown): PolicyKind | undefined {
  return typeof value === "function" ? (value as { [POLICY]?: PolicyKind })[POLICY] : undefined;
}

/**
 * Applies `policies` to `handler`, the first listed outermost, and returns a
 * handler of the same type. Throws a `TypeError` for something that is not a
 * policy, a policy listed twice, or policies out of the documented order
 * ({@link POLICY_ORDER}), naming both.
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
