import { describe, expect, it } from "vitest";
import { callSite, optionKeys, warnCallbackFailure, warnOnce } from "./index.ts";

describe("warnOnce", () => {
  it("emits one McpProdWarning per code, however often it is called", async () => {
    const seen: Array<Error & { code?: string }> = [];
    const listener = (warning: Error) => seen.push(warning);
    process.on("warning", listener);
    for (let call = 0; call < 3; call++) warnOnce("MCP_PROD_TEST_ONCE", "said once");
    warnOnce("MCP_PROD_TEST_OTHER", "another code");
    await new Promise((resolve) => setImmediate(resolve));
    process.off("warning", listener);
    expect(seen.map(({ name, code, message }) => ({ name, code, message }))).toEqual([
      { name: "McpProdWarning", code: "MCP_PROD_TEST_ONCE", message: "said once" },
      { name: "McpProdWarning", code: "MCP_PROD_TEST_OTHER", message: "another code" },
    ]);
  });
});

describe("warnCallbackFailure", () => {
  it("surfaces what a callback threw as a warning of the given type, an Error even when it was not one", async () => {
    const seen: Error[] = [];
    const listener = (warning: Error) => seen.push(warning);
    process.on("warning", listener);
    const thrown = new RangeError("listener broke");
    warnCallbackFailure(thrown, "McpProdListenerWarning");
    warnCallbackFailure("a string", "McpProdHookWarning");
    await new Promise((resolve) => setImmediate(resolve));
    process.off("warning", listener);
    expect(seen[0]?.name).toBe("McpProdListenerWarning");
    expect(seen[0]?.message).toBe("listener broke");
    expect(seen[0]?.cause).toBe(thrown);
    expect(seen[1]?.name).toBe("McpProdHookWarning");
    expect(seen[1]?.message).toBe("a string");
    expect(seen[1]?.cause).toBe("a string");
  });
});

describe("callSite", () => {
  it("names the line that called the caller: the same line twice, another line apart", () => {
    const wrapper = () => callSite();
    const sites = [0, 1].map(() => wrapper());
    const elsewhere = wrapper();
    expect(sites[0]).toMatch(/warnings\.test\.ts:\d+:\d+$/);
    expect(sites[1]).toBe(sites[0]);
    expect(elsewhere).not.toBe(sites[0]);
  });
});

describe("optionKeys", () => {
  it("lists the keys of an options type, checked by the compiler", () => {
    type Options = { readonly timeoutMs?: number; readonly name: string };
    expect(optionKeys<Options>({ timeoutMs: true, name: true })).toEqual(["timeoutMs", "name"]);
    // @ts-expect-error a key of the type is missing
    optionKeys<Options>({ timeoutMs: true });
    // @ts-expect-error a key the type does not have
    optionKeys<Options>({ timeoutMs: true, name: true, extra: true });
  });
});
