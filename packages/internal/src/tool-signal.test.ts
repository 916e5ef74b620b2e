import { describe, expect, it } from "vitest";
import { readToolCall, withToolSignal } from "./index.ts";

/** A signal source that counts how often its signal is read. */
function countingSource() {
  const controller = new AbortController();
  const source = {
    reads: 0,
    get signal() {
      source.reads += 1;
      return controller.signal;
    },
  };
  return { source, controller };
}

describe("withToolSignal", () => {
  it("replaces extra.signal (SDK 1.x) and keeps the arguments and the other fields", () => {
    const { source, controller } = countingSource();
    const args = { city: "Oslo" };
    const extra = { signal: new AbortController().signal, requestId: 7, sessionId: "s-1" };
    const [nextArgs, nextExtra] = withToolSignal([args, extra], source) as [
      typeof args,
      typeof extra,
    ];
    expect(nextArgs).toBe(args);
    expect(nextExtra.signal).toBe(controller.signal);
    expect(nextExtra.requestId).toBe(7);
    expect(nextExtra.sessionId).toBe("s-1");
    expect(readToolCall([nextArgs, nextExtra]).signal).toBe(controller.signal);
  });

  it("replaces ctx.mcpReq.signal (SDK 2.x) and keeps the rest of ctx", () => {
    const { source, controller } = countingSource();
    const ctx = {
      sessionId: "s-2",
      mcpReq: { id: 3, method: "tools/call", signal: new AbortController().signal },
    };
    const [nextCtx] = withToolSignal([ctx], source) as [typeof ctx];
    expect(nextCtx.mcpReq.signal).toBe(controller.signal);
    expect(nextCtx.mcpReq.method).toBe("tools/call");
    expect(nextCtx.mcpReq.id).toBe(3);
    expect(nextCtx.sessionId).toBe("s-2");
    expect("signal" in nextCtx).toBe(false);
    expect(readToolCall([nextCtx]).signal).toBe(controller.signal);
  });

  it("replaces both signals when the context carries both", () => {
    const { source, controller } = countingSource();
    const ctx = {
      signal: new AbortController().signal,
      mcpReq: { signal: new AbortController().signal, id: 1 },
    };
    const [, nextCtx] = withToolSignal([{}, ctx], source) as [unknown, typeof ctx];
    expect(nextCtx.signal).toBe(controller.signal);
    expect(nextCtx.mcpReq.signal).toBe(controller.signal);
    expect(nextCtx.mcpReq.id).toBe(1);
  });

  it("gives a context without a signal one at extra.signal", () => {
    const { source, controller } = countingSource();
    const [nextExtra] = withToolSignal([{ requestId: 1 }], source) as [{ signal?: AbortSignal }];
    expect(nextExtra.signal).toBe(controller.signal);
  });

  it("makes the signal and every other field own enumerable properties that survive a spread", () => {
    const { source, controller } = countingSource();
    const sendNotification = async () => {};
    const extra = {
      signal: new AbortController().signal,
      _meta: { progressToken: 1 },
      requestId: 4,
      sendNotification,
      authInfo: { token: "t", clientId: "c", scopes: [] },
    };
    const [, nextExtra] = withToolSignal([{}, extra], source) as [unknown, typeof extra];
    const [nextCtx] = withToolSignal([{ mcpReq: { id: 2, signal: extra.signal } }], source) as [
      { mcpReq: { id: number; signal: AbortSignal } },
    ];
    expect(Object.keys(nextExtra).sort()).toEqual(Object.keys(extra).sort());
    expect({ ...nextExtra }).toEqual({ ...extra, signal: controller.signal });
    expect({ ...nextExtra }.signal).toBe(controller.signal);
    expect({ ...nextExtra }.sendNotification).toBe(sendNotification);
    expect({ ...nextCtx.mcpReq }).toEqual({ id: 2, signal: controller.signal });
  });

  it("reads the source's signal only when the handler reads it", () => {
    const { source } = countingSource();
    const [, extra] = withToolSignal(
      [{}, { signal: new AbortController().signal, requestId: 1 }],
      source,
    ) as [unknown, { signal: AbortSignal; requestId: number }];
    const [ctx] = withToolSignal(
      [{ mcpReq: { signal: new AbortController().signal } }],
      source,
    ) as [{ mcpReq: { signal: AbortSignal } }];
    expect(extra.requestId).toBe(1);
    expect(source.reads).toBe(0);
    void extra.signal;
    void ctx.mcpReq.signal;
    expect(source.reads).toBe(2);
  });

  it("leaves the caller's parameters and objects unchanged", () => {
    const { source } = countingSource();
    const original = new AbortController().signal;
    const extra = { signal: original, mcpReq: { signal: original } };
    const params = [{ city: "Oslo" }, extra];
    const next = withToolSignal(params, source);
    expect(next).not.toBe(params);
    expect(params[1]).toBe(extra);
    expect(extra.signal).toBe(original);
    expect(extra.mcpReq.signal).toBe(original);
  });

  it("returns the parameters as they are when the last one is not an object", () => {
    const { source } = countingSource();
    const none: unknown[] = [];
    const argsOnly = [{ city: "Oslo" }, undefined];
    expect(withToolSignal(none, source)).toBe(none);
    expect(withToolSignal(argsOnly, source)).toBe(argsOnly);
  });

  it("composes: an inner wrapper swaps the signal an outer wrapper put in", () => {
    const outer = countingSource();
    const inner = countingSource();
    const extra = { signal: new AbortController().signal, requestId: 9 };
    const once = withToolSignal([{}, extra], outer.source);
    const [, twice] = withToolSignal(once, inner.source) as [unknown, typeof extra];
    expect(twice.signal).toBe(inner.controller.signal);
    expect(twice.requestId).toBe(9);
    expect(outer.source.reads).toBe(0);
  });
});
