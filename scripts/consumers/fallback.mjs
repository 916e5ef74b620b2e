// The usual fetchWithFallback: the primary fails, the fallback answers.
export async function smoke(mod) {
  const value = await mod.fetchWithFallback(
    async () => {
      throw new Error("primary down");
    },
    async () => "from cache",
  );
  if (value !== "from cache") throw new Error(`fell back to ${value}`);
  const handler = mod.withFallback(
    async () => {
      throw new Error("boom");
    },
    { content: [{ type: "text", text: "degraded" }] },
  );
  const result = await handler({ signal: new AbortController().signal });
  if (result.content[0].text !== "degraded" || !result._meta[mod.FALLBACK_META_KEY].degraded) {
    throw new Error("withFallback did not mark the result degraded");
  }
}
