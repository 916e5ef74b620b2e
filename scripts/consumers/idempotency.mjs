// The same key twice: the first call runs, the second gets its stored result.
export async function smoke(mod) {
  let runs = 0;
  const store = mod.createMemoryStore();
  const send = mod.withIdempotency(
    async ({ to }) => {
      runs += 1;
      return { content: [{ type: "text", text: `sent to ${to}` }] };
    },
    { store, name: "send" },
  );
  const extra = { _meta: { [mod.IDEMPOTENCY_KEY_META]: "k1" } };
  const first = await send({ to: "ada" }, extra);
  const second = await send({ to: "ada" }, extra);
  if (runs !== 1) throw new Error(`the handler ran ${runs} times`);
  if (second.content[0].text !== first.content[0].text) throw new Error("not the stored result");
  if (second._meta?.[mod.IDEMPOTENCY_META_KEY]?.replayed !== true)
    throw new Error("not marked replayed");
  await store.close();
}
