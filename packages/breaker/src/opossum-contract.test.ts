/**
 * The breaker takes opossum's option names, defaults and state semantics
 * (see `BreakerOptions`), and the benchmark measures opossum's `fire`. These
 * tests drive opossum and the breaker through the same script, side by side,
 * and fail if opossum's events, state fields, defaults or `state` option stop
 * meaning what the breaker's documentation says they mean.
 */
import { createRequire } from "node:module";
import CircuitBreaker from "opossum";
import { beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { type BreakerOptions, type BreakerState, createBreaker } from "./index.ts";

type Outcome = "ok" | "fail";
type Side = {
  run(outcome: Outcome): Promise<unknown>;
  readonly states: string[];
  state(): BreakerState;
  close(): void;
};

const action = async (outcome: Outcome) => {
  if (outcome === "fail") throw new Error("upstream down");
  return "ok";
};

/**
 * opossum's options with `state`, the saved state its README documents
 * (`new CircuitBreaker(action, { state: breaker.toJSON().state })`) and
 * @types/opossum leaves out.
 */
type OpossumOptions = CircuitBreaker.Options & { readonly state?: CircuitBreaker.State };

/** opossum, read only through its documented events and `opened` / `halfOpen` / `closed` getters. */
function opossumSide(options: OpossumOptions = {}): Side & { breaker: CircuitBreaker } {
  const breaker = new CircuitBreaker(action, options);
  const states: string[] = [];
  breaker.on("open", () => states.push("open"));
  breaker.on("halfOpen", () => states.push("halfOpen"));
  breaker.on("close", () => states.push("close"));
  return {
    breaker,
    states,
    run: (outcome) => breaker.fire(outcome).catch((error: unknown) => error),
    state: () => (breaker.opened ? "open" : breaker.halfOpen ? "halfOpen" : "closed"),
    close: () => breaker.shutdown(),
  };
}

function ourSide(options: BreakerOptions = {}): Side {
  const breaker = createBreaker(action, options);
  const states: string[] = [];
  for (const event of ["open", "halfOpen", "close"] as const)
    breaker.on(event, () => states.push(event));
  return {
    states,
    run: (outcome) => breaker.fire(outcome).catch((error: unknown) => error),
    state: () => breaker.state,
    close: () => breaker.close(),
  };
}

function both(
  theirs: OpossumOptions = {},
  ours: BreakerOptions = theirs as BreakerOptions,
): [Side, Side] {
  // Copies: opossum writes its defaults into the options object it is given.
  const pair: [Side, Side] = [opossumSide({ ...theirs }), ourSide({ ...ours })];
  for (const side of pair) onTestFinished(() => side.close());
  return pair;
}

async function runBoth(sides: Side[], ...outcomes: Outcome[]): Promise<void> {
  for (const outcome of outcomes) for (const side of sides) await side.run(outcome);
}

function expectSame(sides: [Side, Side], state: BreakerState, states: string[]): void {
  expect(sides.map((side) => side.state())).toEqual([state, state]);
  expect(sides.map((side) => side.states)).toEqual([states, states]);
}

beforeEach(() => {
  vi.useFakeTimers();
  onTestFinished(() => {
    vi.useRealTimers();
  });
});

describe("opossum contract", () => {
  it("is the opossum version the breaker was checked against", () => {
    const manifest = createRequire(import.meta.url)("opossum/package.json") as { version: string };
    expect(manifest.version).toMatch(/^9\.0\./);
  });

  it("opens on the first failure with the defaults (errorThresholdPercentage 50, volumeThreshold 0)", async () => {
    const sides = both();
    await runBoth(sides, "ok", "fail");
    expectSame(sides, "closed", []);
    await runBoth(sides, "fail");
    expectSame(sides, "open", ["open"]);
  });

  it("goes half-open after the default resetTimeout of 30000 ms and closes on a probe's success", async () => {
    const sides = both();
    await runBoth(sides, "fail");
    vi.advanceTimersByTime(29_999);
    expectSame(sides, "open", ["open"]);
    vi.advanceTimersByTime(1);
    expectSame(sides, "halfOpen", ["open", "halfOpen"]);
    await runBoth(sides, "ok");
    expectSame(sides, "closed", ["open", "halfOpen", "close"]);
  });

  it("re-opens on a probe's failure and waits a full resetTimeout again", async () => {
    const sides = both({ resetTimeout: 1000 });
    await runBoth(sides, "fail");
    vi.advanceTimersByTime(1000);
    await runBoth(sides, "fail");
    expectSame(sides, "open", ["open", "halfOpen", "open"]);
    vi.advanceTimersByTime(999);
    expect(sides.map((side) => side.state())).toEqual(["open", "open"]);
    vi.advanceTimersByTime(1);
    expectSame(sides, "halfOpen", ["open", "halfOpen", "open", "halfOpen"]);
  });

  it("waits for volumeThreshold calls before opening", async () => {
    const sides = both({ volumeThreshold: 3 });
    await runBoth(sides, "fail", "fail");
    expectSame(sides, "closed", []);
    await runBoth(sides, "fail");
    expectSame(sides, "open", ["open"]);
  });

  it("forgets calls older than rollingCountTimeout", async () => {
    const sides = both({ volumeThreshold: 2, rollingCountTimeout: 1000, rollingCountBuckets: 10 });
    await runBoth(sides, "fail");
    vi.advanceTimersByTime(1000);
    await runBoth(sides, "fail");
    expectSame(sides, "closed", []);
    await runBoth(sides, "fail");
    expectSame(sides, "open", ["open"]);
  });

  it("restores a saved open state as half-open once resetTimeout has passed, as open before", async () => {
    const [saved] = both({ resetTimeout: 10_000 });
    await saved.run("fail");
    const { state } = (saved as ReturnType<typeof opossumSide>).breaker.toJSON();
    expect(state).toMatchObject({ open: true, halfOpen: false, closed: false });
    const openedAt = Date.now();
    // Time passes while no breaker runs (a restarted process).
    vi.setSystemTime(openedAt + 5000);
    const early = both(
      { resetTimeout: 10_000, state },
      { resetTimeout: 10_000, initialState: { name: "api", state: "open", openedAt } },
    );
    expect(early.map((side) => side.state())).toEqual(["open", "open"]);
    vi.setSystemTime(openedAt + 10_001);
    const late = both(
      { resetTimeout: 10_000, state },
      { resetTimeout: 10_000, initialState: { name: "api", state: "open", openedAt } },
    );
    expect(late.map((side) => side.state())).toEqual(["halfOpen", "halfOpen"]);
  });
});
