import { describe, expect, it } from "vitest";
import { createRateLimiter, RateLimitClosedError, withRateLimit } from "./index.ts";

describe("close()", () => {
  it("refuses later calls with RateLimitClosedError, wrapped tools included", async () => {
    const limiter = createRateLimiter({ points: 5, durationSeconds: 60 });
    await limiter.consume("k");
    const tool = withRateLimit(async () => ({ content: [] }), { limiter, key: () => "k" });
    await limiter.close();
    const closed = (error: unknown) => RateLimitClosedError.isInstance(error);
    await expect(limiter.consume("k")).rejects.toSatisfy(closed);
    await expect(limiter.reset("k")).rejects.toSatisfy(closed);
    expect(() => limiter.nodeMiddleware()).toThrow(RateLimitClosedError);
    await expect((tool as (...params: unknown[]) => Promise<unknown>)({}, {})).rejects.toThrow(
      "This rate limiter was closed: create a new one with createRateLimiter()",
    );
  });
});
