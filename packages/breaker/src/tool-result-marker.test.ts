import { describe, expect, it } from "vitest";
import { ToolResultError } from "./index.ts";

describe("ToolResultError.isInstance", () => {
  it("accepts the breaker's own error and refuses @mcp-prod/fallback's ToolResultError", () => {
    expect(ToolResultError.isInstance(new ToolResultError("api", { isError: true }))).toBe(true);
    // What @mcp-prod/fallback's ToolResultError carries, old and new marker: same class name, another shape.
    const fromFallback = Object.assign(new Error("Tool returned an error result: down"), {
      [Symbol.for("mcp-prod.fallback.ToolResultError")]: true,
      [Symbol.for("mcp-prod.error.fallback.ToolResultError")]: true,
    });
    expect(ToolResultError.isInstance(fromFallback)).toBe(false);
  });

  it("accepts a ToolResultError from an older copy of the breaker", () => {
    const older = Object.assign(new Error('Breaker "api" counted a result as a failure'), {
      [Symbol.for("mcp-prod.error.breaker.ToolResultError")]: true,
    });
    expect(ToolResultError.isInstance(older)).toBe(true);
  });
});
