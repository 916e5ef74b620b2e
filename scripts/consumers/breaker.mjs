// A breaker opens after failures and then rejects with the typed error.
export async function smoke(mod) {
  const breaker = mod.createBreaker(
    async (fail) => {
      if (fail) throw new Error("upstream down");
      return "ok";
    },
    { name: "smoke", volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeout: 60_000 },
  );
  if ((await breaker.fire(false)) !== "ok") throw new Error("fire did not return the result");
  for (let index = 0; index < 3; index += 1) await breaker.fire(true).catch(() => {});
  try {
    await breaker.fire(false);
    throw new Error("the open breaker let a call through");
  } catch (error) {
    if (!mod.BreakerOpenError.isInstance(error) || error.code !== "EOPENBREAKER") throw error;
  }
  if (breaker.stats().state !== "open") throw new Error("not open");
  breaker.shutdown();
}
