import { describe, expect, it } from "vitest";
import {
  assertPositiveNumber,
  Emitter,
  EventSource,
  isProductionEnvironment,
  raceAbort,
  readToolCall,
  withResultMeta,
} from "./index.ts";

describe("Emitter", () => {
  it("delivers typed events and on() returns the remover", () => {
    const emitter = new Emitter<{ tick: (count: number) => void }>();
    const seen: number[] = [];
    const off = emitter.on("tick", (count) => seen.push(count));
    emitter.emit("tick", 1);
    off();
    emitter.emit("tick", 2);
    expect(seen).toEqual([1]);
    expect(emitter.listenerCount()).toBe(0);
  });

  it("keeps emitting when a listener throws and turns the throw into a process warning", async () => {
    const emitter = new Emitter<{ tick: () => void }>();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    let reached = false;
    emitter.on("tick", () => {
      throw new Error("listener bug");
    });
    emitter.on("tick", () => {
      reached = true;
    });
    expect(() => emitter.emit("tick")).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    process.off("warning", onWarning);
    expect(reached).toBe(true);
    expect(warnings.map(({ name, message }) => `${name}: ${message}`)).toContain(
      "McpProdListenerWarning: listener bug",
    );
  });
});

describe("EventSource", () => {
  type ProbeEvents = {
    done: (event: { readonly latencyMs: number }) => void;
    error: (event: { readonly error: unknown }) => void;
  };
  class Probe extends EventSource<ProbeEvents> {
    finish(latencyMs: number): boolean {
      if (!this.hasListeners("done")) return false;
      this.emit("done", { latencyMs });
      return true;
    }
    fail(error: unknown): void {
      this.emit("error", { error });
    }
    count(): number {
      return this.listenerCount();
    }
  }

  it("gives a subclass public on, once and off and keeps emit its own", () => {
    const probe = new Probe();
    const seen: number[] = [];
    expect(probe.finish(1)).toBe(false);
    const off = probe.on("done", ({ latencyMs }) => seen.push(latencyMs));
    probe.once("done", ({ latencyMs }) => seen.push(-latencyMs));
    expect(probe.finish(2)).toBe(true);
    expect(probe.finish(3)).toBe(true);
    off();
    expect(probe.finish(4)).toBe(false);
    expect(seen).toEqual([2, -2, 3]);
    expect(probe.count()).toBe(0);
    // @ts-expect-error emit is protected: only the source emits its events
    probe.emit("done", { latencyMs: 5 });
  });

  it("does not throw for an error event nobody listens to", () => {
    expect(() => new Probe().fail(new Error("lost connection"))).not.toThrow();
  });
});

describe("options", () => {
  it("names the option and the bad value", () => {
    expect(() => assertPositiveNumber(-1, "timeoutMs")).toThrow(
      new TypeError("Expected `timeoutMs` to be a positive finite number, got -1"),
    );
    expect(() => assertPositiveNumber(undefined, "timeoutMs", true)).not.toThrow();
  });
});

describe("readToolCall", () => {
  it("reads args and signal for both arities and both SDK generations", () => {
    const controller = new AbortController();
    expect(readToolCall([{ city: "Oslo" }, { signal: controller.signal }])).toMatchObject({
      args: { city: "Oslo" },
      signal: controller.signal,
    });
    expect(readToolCall([{ signal: controller.signal }])).toMatchObject({
      args: undefined,
      signal: controller.signal,
    });
    expect(readToolCall([{ a: 1 }, { mcpReq: { signal: controller.signal } }]).signal).toBe(
      controller.signal,
    );
  });

  it("adds _meta without touching the original result", () => {
    const result = { content: [], _meta: { a: 1 } };
    expect(withResultMeta(result, "b", 2)._meta).toEqual({ a: 1, b: 2 });
    expect(result._meta).toEqual({ a: 1 });
  });
});

describe("raceAbort", () => {
  it("rejects with the signal's reason when aborted first", async () => {
    const controller = new AbortController();
    const pending = raceAbort(new Promise(() => {}), controller.signal);
    controller.abort(new Error("cancelled"));
    await expect(pending).rejects.toThrow("cancelled");
  });
});

describe("isProductionEnvironment", () => {
  it("is true for production and prod in any case and with spaces around them", () => {
    for (const value of ["production", "Production", "PRODUCTION", "production ", " prod", "Prod"])
      expect(isProductionEnvironment(value), value).toBe(true);
  });

  it("is false for anything else, unset included", () => {
    for (const value of [
      undefined,
      "",
      "development",
      "test",
      "staging",
      "production-like",
      "preprod",
    ])
      expect(isProductionEnvironment(value), String(value)).toBe(false);
  });
});
