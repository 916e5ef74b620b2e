// A transient error is retried and the call succeeds; a validation error is not retried.
export async function smoke(mod) {
  let calls = 0;
  const value = await mod.retry(
    () => {
      calls += 1;
      if (calls < 3) throw Object.assign(new Error("reset"), { code: "ECONNRESET" });
      return "ok";
    },
    { minDelayMs: 1, maxDelayMs: 2 },
  );
  if (value !== "ok" || calls !== 3)
    throw new Error(`retry returned ${value} after ${calls} calls`);
  const refusal = await mod
    .retry(() => {
      throw new TypeError("bad input");
    })
    .catch((error) => error);
  if (!(refusal instanceof TypeError)) throw new Error("a TypeError was retried or wrapped");
  const exhausted = await mod
    .retry(() => Promise.reject(Object.assign(new Error("down"), { code: "ECONNREFUSED" })), {
      attempts: 2,
      minDelayMs: 0,
      maxDelayMs: 0,
    })
    .catch((error) => error);
  if (!mod.RetryError.isInstance(exhausted) || exhausted.code !== "ERETRYEXHAUSTED")
    throw new Error("no RetryError after every attempt failed");
  const handler = mod.withRetry(async () => ({ content: [{ type: "text", text: "hi" }] }), {
    idempotent: true,
  });
  const result = await handler({ signal: new AbortController().signal });
  if (result._meta[mod.RETRY_META_KEY].attempts !== 1) throw new Error("withRetry did not mark");
}
