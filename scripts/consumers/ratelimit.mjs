// One point per minute: the second consume is refused with a typed error.
export async function smoke(mod) {
  const limiter = mod.createRateLimiter({ points: 1, durationSeconds: 60 });
  await limiter.consume("client");
  try {
    await limiter.consume("client");
    throw new Error("the second call was allowed");
  } catch (error) {
    if (!mod.RateLimitExceededError.isInstance(error)) throw error;
    if (error.retryAfterSeconds <= 0) throw new Error("no retry-after");
  }
}
