import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createRateLimiter,
  RateLimitError,
  RateLimitExceededError,
  type RateLimitResult,
} from "./index.ts";

async function refusal(promise: Promise<RateLimitResult>): Promise<RateLimitExceededError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!RateLimitExceededError.isInstance(error))
    throw new Error(`expected a refusal, got ${error}`);
  return error;
}

describe("createRateLimiter (memory store)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("allows `points` calls per key and counts down remainingPoints", async () => {
    const limiter = createRateLimiter({ points: 3, durationSeconds: 60 });
    const results = [
      await limiter.consume("alice"),
      await limiter.consume("alice"),
      await limiter.consume("alice"),
    ];
    expect(results.map((result) => result.remainingPoints)).toEqual([2, 1, 0]);
    expect(results.map((result) => result.consumedPoints)).toEqual([1, 2, 3]);
    expect(results[0]).toMatchObject({ key: "alice", limit: 3, store: "memory" });
  });

  it("refuses the call over the limit with RateLimitExceededError carrying retry-after", async () => {
    const limiter = createRateLimiter({ points: 1, durationSeconds: 30 });
    await limiter.consume("alice");
    const error = await refusal(limiter.consume("alice"));
    expect(error.code).toBe("ERATELIMITED");
    expect(error.name).toBe("RateLimitExceededError");
    expect(RateLimitError.isInstance(error)).toBe(true);
    expect(error.key).toBe("alice");
    expect(error.limit).toBe(1);
    expect(error.durationSeconds).toBe(30);
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
    expect(error.retryAfterSeconds).toBe(Math.ceil(error.retryAfterMs / 1000));
    expect(error.storeUnavailable).toBe(false);
    expect(error.message).toMatch(/^Rate limit exceeded, retry after \d+ s/);
  });

  it("keeps keys independent: one client over its limit does not affect another", async () => {
    const limiter = createRateLimiter({ points: 1, durationSeconds: 60 });
    await limiter.consume("alice");
    await refusal(limiter.consume("alice"));
    await expect(limiter.consume("bob")).resolves.toMatchObject({ key: "bob", remainingPoints: 0 });
  });

  it("serves the key again once the window has passed", async () => {
    vi.useFakeTimers();
    const limiter = createRateLimiter({ points: 2, durationSeconds: 10 });
    await limiter.consume("alice");
    await limiter.consume("alice");
    const error = await refusal(limiter.consume("alice"));
    expect(error.retryAfterMs).toBe(10_000);
    await vi.advanceTimersByTimeAsync(10_001);
    await expect(limiter.consume("alice")).resolves.toMatchObject({ remainingPoints: 1 });
  });

  it("keeps refusing for blockDurationSeconds once over the limit", async () => {
    vi.useFakeTimers();
    const limiter = createRateLimiter({ points: 1, durationSeconds: 1, blockDurationSeconds: 30 });
    await limiter.consume("alice");
    const error = await refusal(limiter.consume("alice"));
    expect(error.retryAfterMs).toBe(30_000);
    await vi.advanceTimersByTimeAsync(5_000);
    await refusal(limiter.consume("alice"));
  });

  it("charges `cost` points for one call", async () => {
    const limiter = createRateLimiter({ points: 5, durationSeconds: 60 });
    await expect(limiter.consume("alice", { cost: 4 })).resolves.toMatchObject({
      remainingPoints: 1,
    });
    await refusal(limiter.consume("alice", { cost: 2 }));
  });

  it("emits `limited` with the key and retry-after for each refusal, and nothing for allowed calls", async () => {
    const limiter = createRateLimiter({ name: "tools", points: 1, durationSeconds: 60 });
    const seen: Array<{ key: string; retryAfterMs: number }> = [];
    const off = limiter.on("limited", (event) => seen.push(event));
    await limiter.consume("alice");
    const error = await refusal(limiter.consume("alice"));
    off();
    await refusal(limiter.consume("alice"));
    expect(limiter.name).toBe("tools");
    expect(seen).toEqual([{ key: "alice", retryAfterMs: error.retryAfterMs }]);
  });

  it("forgets a key's count on reset(key)", async () => {
    const limiter = createRateLimiter({ points: 1, durationSeconds: 60 });
    await limiter.consume("alice");
    await refusal(limiter.consume("alice"));
    await limiter.reset("alice");
    await expect(limiter.consume("alice")).resolves.toMatchObject({ remainingPoints: 0 });
  });

  it("rejects with the signal's reason when the signal is already aborted, spending nothing", async () => {
    const limiter = createRateLimiter({ points: 1, durationSeconds: 60 });
    const controller = new AbortController();
    const reason = new Error("client went away");
    controller.abort(reason);
    await expect(limiter.consume("alice", { signal: controller.signal })).rejects.toBe(reason);
    await expect(limiter.consume("alice")).resolves.toMatchObject({ remainingPoints: 0 });
  });

  it("throws a TypeError naming the option for invalid options", () => {
    expect(() => createRateLimiter({ points: 0, durationSeconds: 1 })).toThrow(
      new TypeError("Expected `points` to be a positive integer, got 0"),
    );
    expect(() => createRateLimiter({ points: 1, durationSeconds: 1.5 })).toThrow(
      new TypeError("Expected `durationSeconds` to be a positive integer, got 1.5"),
    );
    expect(() =>
      createRateLimiter({
        points: 1,
        durationSeconds: 1,
        onStoreError: "ignore" as "open",
      }),
    ).toThrow(new TypeError('Expected `onStoreError` to be one of "open", "closed", got "ignore"'));
    expect(() => createRateLimiter({ points: 1, durationSeconds: 1, storeTimeoutMs: -1 })).toThrow(
      new TypeError("Expected `storeTimeoutMs` to be a positive finite number, got -1"),
    );
    expect(() =>
      createRateLimiter({ points: 1, durationSeconds: 1, redis: "redis://x" as never }),
    ).toThrow(new TypeError("Expected `redis` to be an ioredis client, got string"));
  });

  it("throws a TypeError for an empty key or a non-integer cost", async () => {
    const limiter = createRateLimiter({ points: 1, durationSeconds: 1 });
    await expect(limiter.consume("")).rejects.toThrow(
      new TypeError('Expected `key` to be a non-empty string, got ""'),
    );
    await expect(limiter.consume("alice", { cost: 0.5 })).rejects.toThrow(
      new TypeError("Expected `cost` to be a positive integer, got 0.5"),
    );
  });
});
