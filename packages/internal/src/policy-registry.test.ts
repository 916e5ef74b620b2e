import { describe, expect, it, vi } from "vitest";
import { createPolicyRegistry, warnIfRebuilt } from "./policy-registry.ts";

type Thing = { readonly id: number; closed: boolean };

function owner() {
  let next = 0;
  const made: Thing[] = [];
  const registry = createPolicyRegistry<Thing>("thing", (thing) => {
    thing.closed = true;
  });
  const make = () => {
    const thing = { id: next++, closed: false };
    made.push(thing);
    return thing;
  };
  return { ...registry, make, made };
}

describe("createPolicyRegistry", () => {
  it("gives the same instance for a name asked for again with the same data, whatever the functions", () => {
    const { registry, obtain, make } = owner();
    const first = obtain("forecast", { limit: 5, filter: () => true }, make, 'compose("forecast")');
    const again = obtain(
      "forecast",
      { limit: 5, filter: () => false },
      make,
      'compose("forecast")',
    );
    expect(again).toBe(first);
    expect(registry.get("forecast")).toBe(first);
    expect(registry.size).toBe(1);
    expect(obtain("search", { limit: 5 }, make, 'compose("search")')).not.toBe(first);
    expect(registry.names()).toEqual(["forecast", "search"]);
    expect([...registry].map((thing) => thing.id)).toEqual([0, 1]);
  });

  it("refuses a name asked for with other data, naming the option and both values", () => {
    const { obtain, make } = owner();
    obtain("forecast", { limit: 5, nested: { a: [1, 2] } }, make, 'compose("forecast")');
    expect(() =>
      obtain("forecast", { limit: 3, nested: { a: [1, 2] } }, make, 'compose("forecast")'),
    ).toThrow(
      /compose\("forecast"\) asks for the thing "forecast" with `limit` 3, but it was made with 5/,
    );
    expect(() => obtain("forecast", { limit: 5, nested: { a: [1, 3] } }, make, "x")).toThrow(
      /`nested`/,
    );
    expect(() => obtain("forecast", { limit: 5 }, make, "x")).toThrow(/`nested` undefined/);
  });

  it("treats an object that is not plain data (a client) as the same only if it is the same object", () => {
    const { obtain, make } = owner();
    class Client {}
    const client = new Client();
    const first = obtain("a", { client }, make, "x");
    expect(obtain("a", { client }, make, "x")).toBe(first);
    expect(() => obtain("a", { client: new Client() }, make, "x")).toThrow(TypeError);
  });

  it("tells its listeners about each instance made, and forgets one its user closed", () => {
    const { registry, obtain, forget, make } = owner();
    const added = vi.fn();
    const off = registry.on("add", added);
    const first = obtain("a", {}, make, "x");
    obtain("a", {}, make, "x");
    expect(added).toHaveBeenCalledExactlyOnceWith({ name: "a", value: first });
    forget("a", { id: 99, closed: false }); // another instance: not forgotten
    expect(registry.get("a")).toBe(first);
    forget("a", first);
    expect(registry.has("a")).toBe(false);
    const second = obtain("a", {}, make, "x");
    expect(second).not.toBe(first);
    off();
    obtain("b", {}, make, "x");
    expect(added).toHaveBeenCalledTimes(2);
  });

  it("closes what it deletes and clears", () => {
    const { registry, obtain, make, made } = owner();
    obtain("a", {}, make, "x");
    obtain("b", {}, make, "x");
    expect(registry.delete("a")).toBe(true);
    expect(registry.delete("a")).toBe(false);
    expect(made.map((thing) => thing.closed)).toEqual([true, false]);
    registry.clear();
    expect(made.map((thing) => thing.closed)).toEqual([true, true]);
    expect(registry.size).toBe(0);
  });
});

describe("warnIfRebuilt", () => {
  it("warns once when the same line makes a second one, not for two lines", async () => {
    const warnings: string[] = [];
    const listen = (warning: Error) => warnings.push(warning.message);
    process.on("warning", listen);
    try {
      warnIfRebuilt("MCP_PROD_TEST_REBUILT", "a.ts:1:1", "rebuilt at a.ts:1:1");
      warnIfRebuilt("MCP_PROD_TEST_REBUILT", "b.ts:1:1", "rebuilt at b.ts:1:1");
      warnIfRebuilt("MCP_PROD_TEST_REBUILT", undefined, "no site");
      expect(warnings).toEqual([]);
      warnIfRebuilt("MCP_PROD_TEST_REBUILT", "a.ts:1:1", "rebuilt at a.ts:1:1");
      warnIfRebuilt("MCP_PROD_TEST_REBUILT", "a.ts:1:1", "rebuilt at a.ts:1:1");
    } finally {
      await new Promise((resolve) => setImmediate(resolve));
      process.off("warning", listen);
    }
    expect(warnings).toEqual(["rebuilt at a.ts:1:1"]);
  });
});
