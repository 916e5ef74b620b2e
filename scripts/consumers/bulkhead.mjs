// Over capacity a call is refused at once; a freed slot admits the next.
export async function smoke(mod) {
  const bulkhead = mod.createBulkhead({ name: "smoke", limit: 1 });
  let release;
  const running = bulkhead.execute(() => new Promise((resolve) => (release = resolve)));
  const refused = await bulkhead.execute(() => "never").catch((error) => error);
  if (!mod.BulkheadRejectedError.isInstance(refused) || refused.code !== "EBULKHEADFULL")
    throw new Error("a call over capacity was not refused");
  release("done");
  if ((await running) !== "done") throw new Error("the running call lost its result");
  if ((await bulkhead.execute(() => "next")) !== "next") throw new Error("the slot was not freed");
  const stats = bulkhead.stats();
  if (stats.active !== 0 || stats.rejected !== 1) throw new Error(`stats ${JSON.stringify(stats)}`);
  bulkhead.close();
}
