import { markError } from "@mcp-prod/internal";
import { describe, expect, it } from "vitest";
import { ToolResultError } from "./index.ts";

describe("ToolResultError.isInstance", () => {
  it("accepts the breaker's own error and refuses @mcp-prod/fallback's ToolResultError", () => {
    expect(ToolResultError.isInstance(new ToolResultError("api", { isError: true }))).toBe(true);
    // What @mcp-prod/fallback's ToolResultError carries: same class name, another shape.
    const fromFallback = new Error("Tool returned an error result: down");
    markError(fromFallback, "fallback.ToolResultError");
    expect(ToolResultError.isInstance(fromFallback)).toBe(false);
  });
});
