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
