import { describe, expect, it } from "vitest";
import { isErrorResult, McpProdError, ToolResultError } from "./index.ts";

describe("ToolResultError", () => {
  it("carries the result, its code, its first text redacted, and the wait its _meta asks for", () => {
    const result = {
      content: [{ type: "text", text: "upstream postgres://app:hunter2@db/app refused" }],
      isError: true,
      _meta: { "mcp-prod/breaker": { open: true, retryAfterMs: 1500 } },
    };
    const error = new ToolResultError(result);
    expect(error).toBeInstanceOf(McpProdError);
    expect(error.code).toBe("ETOOLRESULT");
    expect(error.name).toBe("ToolResultError");
    expect(error.result).toBe(result);
    expect(error.retryAfterMs).toBe(1500);
    expect(error.message).toBe(
      "Tool returned an error result: upstream postgres://app:***@db/app refused",
    );
    expect(new ToolResultError({ isError: true }).message).toBe(
      "Tool returned an error result: (no text content)",
    );
  });

  it("recognises the ToolResultError of every earlier copy of breaker, fallback and retry", () => {
    const markers = [
      "mcp-prod.breaker.ToolResultError",
      "mcp-prod.fallback.ToolResultError",
      "mcp-prod.retry.ToolResultError",
      "mcp-prod.error.breaker.ToolResultError",
      "mcp-prod.error.fallback.ToolResultError",
      "mcp-prod.error.ToolResultError",
    ];
    for (const marker of markers) {
      const older = Object.assign(new Error("Tool returned an error result"), {
        [Symbol.for(marker)]: true,
      });
      expect(ToolResultError.isInstance(older), marker).toBe(true);
    }
    expect(ToolResultError.isInstance(new Error("Tool returned an error result"))).toBe(false);
  });

  it("carries every marker an earlier copy checks, so those copies recognise it too", () => {
    const error = new ToolResultError({ isError: true }) as unknown as Record<symbol, unknown>;
    expect(error[Symbol.for("mcp-prod.breaker.ToolResultError")]).toBe(true);
    expect(error[Symbol.for("mcp-prod.error.fallback.ToolResultError")]).toBe(true);
    expect(error[Symbol.for("mcp-prod.error.ToolResultError")]).toBe(true);
  });
});

describe("isErrorResult", () => {
  it("is true only for an object with isError: true", () => {
    expect(isErrorResult({ isError: true, content: [] })).toBe(true);
    expect(isErrorResult({ isError: false })).toBe(false);
    expect(isErrorResult({ isError: "true" })).toBe(false);
    expect(isErrorResult(null)).toBe(false);
    expect(isErrorResult("isError")).toBe(false);
  });
});
