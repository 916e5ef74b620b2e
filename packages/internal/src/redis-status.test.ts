import { describe, expect, it } from "vitest";
import { RedisReadiness } from "./index.ts";

describe("RedisReadiness", () => {
  it("lets commands through while the first connect is under way", () => {
    const readiness = new RedisReadiness();
    expect(["wait", "connecting", "connect", undefined].map((s) => readiness.isDown(s))).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it("treats end, close and reconnecting as down at any time", () => {
    const readiness = new RedisReadiness();
    expect(["end", "close", "reconnecting"].map((s) => readiness.isDown(s))).toEqual([
      true,
      true,
      true,
    ]);
  });

  it("treats any status but ready as down once the client has been ready", () => {
    const readiness = new RedisReadiness();
    expect(readiness.isDown("ready")).toBe(false);
    expect(readiness.isDown("connecting")).toBe(true);
    expect(readiness.isDown("connect")).toBe(true);
    expect(readiness.isDown("ready")).toBe(false);
  });
});
