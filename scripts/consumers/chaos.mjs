// Off by default; once enabled, an injected error replaces the call.
export async function smoke(mod) {
  const chaos = mod.createChaos({ error: { rate: 1 } });
  const wrapped = chaos.wrap(async () => "ran");
  if ((await wrapped()) !== "ran") throw new Error("chaos injected while disabled");
  chaos.enable();
  const error = await wrapped().catch((caught) => caught);
  if (!mod.ChaosFaultError.isInstance(error) || error.code !== "ECHAOS")
    throw new Error("no fault injected while enabled");
  chaos.disable();
}
