// A handler past its deadline: its signal aborts with ToolTimeoutError and the
// call answers the timed-out result; one in time passes through untouched.
export async function smoke(mod) {
  let reason;
  const hanging = mod.withTimeout(
    (extra) =>
      new Promise((_resolve, reject) => {
        extra.signal.addEventListener("abort", () => {
          reason = extra.signal.reason;
          reject(reason);
        });
      }),
    { timeoutMs: 20, name: "smoke" },
  );
  const timedOut = await hanging({ signal: new AbortController().signal });
  if (timedOut?.isError !== true || timedOut._meta?.[mod.TIMEOUT_META_KEY]?.timedOut !== true)
    throw new Error(`not a timed-out result: ${JSON.stringify(timedOut)}`);
  if (!mod.ToolTimeoutError.isInstance(reason) || reason.code !== "ETOOLTIMEOUT")
    throw new Error("the handler's signal did not abort with ToolTimeoutError");
  const quick = mod.withTimeout(async () => ({ content: [{ type: "text", text: "ok" }] }), 1000);
  const answer = await quick({ signal: new AbortController().signal });
  if (answer.content?.[0]?.text !== "ok" || answer._meta !== undefined)
    throw new Error(`a result in time was changed: ${JSON.stringify(answer)}`);
}
