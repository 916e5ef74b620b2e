import { describe, expectTypeOf, it } from "vitest";
import {
  BreakerError,
  type BreakerErrorCode,
  BreakerOpenError,
  BreakerTimeoutError,
  type ToolResult,
  ToolResultError,
} from "./index.ts";

declare function caught(): unknown;

describe("isInstance", () => {
  it("narrows to the class it is called on, with its literal name and code", () => {
    const error = caught();
    if (BreakerError.isInstance(error)) {
      expectTypeOf(error).toEqualTypeOf<BreakerError>();
      expectTypeOf(error.code).toEqualTypeOf<BreakerErrorCode>();
      expectTypeOf(error.breakerName).toEqualTypeOf<string>();
    }
    if (BreakerOpenError.isInstance(error)) {
      expectTypeOf(error).toEqualTypeOf<BreakerOpenError>();
      expectTypeOf(error.code).toEqualTypeOf<"EOPENBREAKER">();
      // a type argument, not inference, which would widen the literal
      expectTypeOf<typeof error.name>().toEqualTypeOf<"BreakerOpenError">();
      expectTypeOf(error.retryAfterMs).toEqualTypeOf<number>();
    }
    if (BreakerTimeoutError.isInstance(error)) {
      expectTypeOf(error.timeoutMs).toEqualTypeOf<number>();
    }
    if (ToolResultError.isInstance(error)) {
      expectTypeOf(error.result).toEqualTypeOf<ToolResult>();
      expectTypeOf(error.code).toEqualTypeOf<"ETOOLRESULT">();
    }
  });
});
