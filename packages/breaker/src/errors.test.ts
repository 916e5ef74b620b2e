import { describe, expect, it, vi } from "vitest";
import {
  BreakerError,
  BreakerOpenError,
  BreakerShutdownError,
  BreakerTimeoutError,
} from "./errors.ts";

describe("errors", () => {
  it("detects errors from a second copy of the package, where instanceof fails", async () => {
    vi.resetModules();
    const copy = await import("./errors.ts");
    expect(copy.BreakerOpenError).not.toBe(BreakerOpenError);
    const fromCopy = new copy.BreakerOpenError("api", 100);
    expect(fromCopy instanceof BreakerOpenError).toBe(false);
    expect(BreakerOpenError.isInstance(fromCopy)).toBe(true);
    expect(BreakerError.isInstance(fromCopy)).toBe(true);
    expect(BreakerTimeoutError.isInstance(fromCopy)).toBe(false);
  });

  it("carries a literal name, a code and the breaker's name on each error", () => {
    const errors = [
      new BreakerOpenError("api", 5),
      new BreakerTimeoutError("api", 100),
      new BreakerShutdownError("api"),
    ];
    expect(errors.map((error) => [error.name, error.code, error.breakerName])).toEqual([
      ["BreakerOpenError", "EOPENBREAKER", "api"],
      ["BreakerTimeoutError", "ETIMEDOUT", "api"],
      ["BreakerShutdownError", "ESHUTDOWN", "api"],
    ]);
    expect(errors.every((error) => BreakerError.isInstance(error))).toBe(true);
    expect(BreakerError.isInstance(new Error("Breaker is open"))).toBe(false);
  });
});
