import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BreakerOpenError, createBreakerGroup } from "./index.ts";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("createBreakerGroup", () => {
  it("keeps one breaker per key, so one failing upstream does not block another", async () => {
    const group = createBreakerGroup(
      async (host: string) => {
        if (host === "down.example") throw new Error("refused");
        return `ok from ${host}`;
      },
      { name: "upstream", timeout: false },
    );
    await expect(group.fire("down.example", "down.example")).rejects.toThrow("refused");
    expect(group.for("down.example").state).toBe("open");
    await expect(group.fire("up.example", "up.example")).resolves.toBe("ok from up.example");
    const rejected = await group
      .fire("down.example", "down.example")
      .catch((error: unknown) => error);
    expect(BreakerOpenError.isInstance(rejected)).toBe(true);
    expect(group.for("up.example").name).toBe("upstream");
    group.close();
  });

  it("evicts and shuts down the least recently used breaker beyond maxBreakers", async () => {
    const group = createBreakerGroup(async (value: number) => value, {
      maxBreakers: 2,
      timeout: false,
    });
    const evicted: string[] = [];
    group.on("evict", ({ key, breaker }) => {
      evicted.push(key);
      void breaker.fire(1).catch((error: unknown) => evicted.push((error as Error).name));
    });
    const first = group.for("a");
    group.for("b");
    group.for("a"); // a is now the most recently used
    group.for("c");
    await vi.waitFor(() => expect(evicted).toEqual(["b", "BreakerShutdownError"]));
    expect([...group.keys()]).toEqual(["a", "c"]);
    expect(group.size).toBe(2);
    expect(group.for("a")).toBe(first);
    group.close();
    expect(group.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("announces each new breaker so listeners can be attached", () => {
    const group = createBreakerGroup(async () => 1, { name: "tenants" });
    const created: string[] = [];
    group.on("create", ({ key, breaker }) => created.push(`${key}:${breaker.name}`));
    group.for("t1");
    group.for("t1");
    group.for("t2");
    expect(created).toEqual(["t1:tenants", "t2:tenants"]);
    expect(group.delete("t1")).toBe(true);
    expect(group.delete("t1")).toBe(false);
    group.close();
  });

  it("validates its options when created, not on the first key", () => {
    expect(() => createBreakerGroup(async () => 1, { maxBreakers: 0 })).toThrow(
      new TypeError("Expected `maxBreakers` to be a positive integer, got 0"),
    );
    expect(() => createBreakerGroup(async () => 1, { resetTimeout: -5 })).toThrow(
      new TypeError("Expected `resetTimeout` to be a positive finite number, got -5"),
    );
  });
});
