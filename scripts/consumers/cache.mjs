// Memory-only getOrSet: concurrent misses make one factory call.
export async function smoke(mod) {
  const cache = mod.createCache({ defaultTtlSeconds: 60 });
  let calls = 0;
  const factory = async () => {
    calls += 1;
    return { answer: 42 };
  };
  const values = await Promise.all([1, 2, 3].map(() => cache.getOrSet("key", factory)));
  if (calls !== 1 || values.some((value) => value.answer !== 42))
    throw new Error(`factory ran ${calls} times`);
  if ((await cache.get("key")).answer !== 42) throw new Error("get missed");
  await cache.close();
}
