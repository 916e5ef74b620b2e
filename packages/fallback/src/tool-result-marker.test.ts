import { markError } from "@mcp-prod/internal";
import { describe, expect, it } from "vitest";
import { ToolResultError } from "./index.ts";

describe("ToolResultError.isInstance", () => {
  it("accepts the fallback's own error and refuses @mcp-prod/breaker's ToolResultError", () => {
    const own = new ToolResultError({ content: [{ type: "text", text: "down" }], isError: true });
    expect(ToolResultError.isInstance(own)).toBe(true);
    // What @mcp-prod/breaker's ToolResultError carries: same class name, another shape.
    const fromBreaker = new Error('Breaker "api" counted a result as a failure');
    markError(fromBreaker, "breaker.ToolResultError");
    expect(ToolResultError.isInstance(fromBreaker)).toBe(false);
  });
});
