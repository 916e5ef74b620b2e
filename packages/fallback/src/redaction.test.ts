import { describe, expect, it } from "vitest";
import { FallbackError, fallbackChain, ToolResultError } from "./index.ts";

const PASSWORD = "hunter2-secret";

describe("error messages never carry a password", () => {
  it("FallbackError masks a connection string quoted by the last attempt's error", async () => {
    const error = await fallbackChain([
      async () => {
        throw new Error("primary down");
      },
      async () => {
        throw new Error(`connect ECONNREFUSED postgres://app:${PASSWORD}@10.0.0.5:5432/app`);
      },
    ]).catch((caught: unknown) => caught as FallbackError);
    expect(FallbackError.isInstance(error)).toBe(true);
    expect(error.message).not.toContain(PASSWORD);
    expect(error.message).toContain("postgres://app:***@10.0.0.5:5432/app");
  });

  it("ToolResultError masks a token quoted by the result's text", () => {
    const error = new ToolResultError({
      content: [{ type: "text", text: `upstream said 401 for Bearer ${PASSWORD}` }],
      isError: true,
    });
    expect(error.message).toBe("Tool returned an error result: upstream said 401 for Bearer ***");
  });
});
