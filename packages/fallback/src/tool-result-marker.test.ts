import { describe, expect, it } from "vitest";
import { ToolResultError } from "./index.ts";

describe("ToolResultError.isInstance", () => {
  it("accepts the fallback's own error and refuses @mcp-prod/breaker's ToolResultError", () => {
    const own = new ToolResultError({ content: [{ type: "text", text: "down" }], isError: true });
    expect(ToolResultError.isInstance(own)).toBe(true);
    // What @mcp-prod/breaker's ToolResultError carries, old and new marker: same class name, another shape.
    const fromBreaker = Object.assign(new Error('Breaker "api" counted a result as a failure'), {
      [Symbol.for("mcp-prod.breaker.ToolResultError")]: true,
      [Symbol.for("mcp-prod.error.breaker.ToolResultError")]: true,
    });
    expect(ToolResultError.isInstance(fromBreaker)).toBe(false);
  });

  it("accepts a ToolResultError from an older copy of the fallback", () => {
    const older = Object.assign(new Error("Tool returned an error result: down"), {
      [Symbol.for("mcp-prod.error.fallback.ToolResultError")]: true,
    });
    expect(ToolResultError.isInstance(older)).toBe(true);
  });
});
