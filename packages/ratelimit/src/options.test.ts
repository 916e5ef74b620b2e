import { describe, expect, it } from "vitest";
import { createRateLimiter, withRateLimit } from "./index.ts";

/** Options as a JavaScript caller or a config file would pass them: unchecked by tsc. */
const loose = (options: Record<string, unknown>) => options as never;
const handler = async () => ({ content: [{ type: "text" as const, text: "ok" }] });

describe("unknown options are refused at once, naming the key and the right one", () => {
  it.each([
    ["blockDuration", ": use `blockDurationSeconds` (seconds)"],
    ["duration", ": use `durationSeconds` (seconds)"],
    ["windowMs", ": use `durationSeconds` (seconds)"],
    ["pionts", "; did you mean `points`?"],
  ])("createRateLimiter({ %s })", (key, suggestion) => {
    expect(() => createRateLimiter(loose({ points: 5, durationSeconds: 60, [key]: 1 }))).toThrow(
      new TypeError(`Unknown option \`${key}\` in createRateLimiter()${suggestion}`),
    );
  });

  it('withRateLimit({ limiter, tol }) names `tol` and `tool`, not "got both"', () => {
    const limiter = createRateLimiter({ points: 5, durationSeconds: 60 });
    expect(() => withRateLimit(handler, loose({ limiter, tol: "x" }))).toThrow(
      new TypeError("Unknown option `tol` in withRateLimit(); did you mean `tool`?"),
    );
    expect(() =>
      withRateLimit(handler, loose({ points: 5, durationSeconds: 60, blockDuration: 10 })),
    ).toThrow(
      new TypeError(
        "Unknown option `blockDuration` in withRateLimit(): use `blockDurationSeconds` (seconds)",
      ),
    );
  });

  it("consume and nodeMiddleware name their typos", async () => {
    const limiter = createRateLimiter({ points: 5, durationSeconds: 60 });
    await expect(limiter.consume("k", loose({ cots: 1 }))).rejects.toThrow(
      new TypeError("Unknown option `cots` in limiter.consume(); did you mean `cost`?"),
    );
    expect(() => limiter.nodeMiddleware(loose({ keyGenerator: () => "k" }))).toThrow(
      new TypeError("Unknown option `keyGenerator` in limiter.nodeMiddleware(): use `key`"),
    );
  });
});

describe("an impossible cost", () => {
  it("consume, nodeMiddleware and withRateLimit refuse a cost above points as a TypeError", async () => {
    const limiter = createRateLimiter({ points: 10, durationSeconds: 60 });
    const message =
      "Expected `cost` to be at most the limiter's `points` (10), got 20: such a call could never be allowed";
    await expect(limiter.consume("k", { cost: 20 })).rejects.toThrow(new TypeError(message));
    expect(() => limiter.nodeMiddleware({ cost: 20 })).toThrow(new TypeError(message));
    expect(() => withRateLimit(handler, { limiter, cost: 20 })).toThrow(new TypeError(message));
    expect(() => withRateLimit(handler, { points: 10, durationSeconds: 60, cost: 20 })).toThrow(
      new TypeError(message),
    );
    // A cost equal to points is possible: the whole window's budget at once.
    await expect(limiter.consume("k", { cost: 10 })).resolves.toMatchObject({ remainingPoints: 0 });
  });
});
