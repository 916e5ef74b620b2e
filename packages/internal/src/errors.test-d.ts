import { describe, expectTypeOf, it } from "vitest";
import { defineError, McpProdError } from "./index.ts";

class LatchError extends McpProdError<"ELATCH" | "ELATCHSTUCK"> {
  override readonly name: string = "LatchError";
  static {
    defineError(LatchError, "latch", "LatchError");
  }
}

class LatchStuckError extends LatchError {
  override readonly name = "LatchStuckError";
  override readonly code = "ELATCHSTUCK" as const;
  readonly stuckMs = 5;
  static {
    defineError(LatchStuckError, "latch", "LatchStuckError");
  }
}

declare function caught(): unknown;

describe("McpProdError.isInstance", () => {
  it("narrows to the class it is called on, subclasses included", () => {
    const error = caught();
    if (LatchError.isInstance(error)) {
      expectTypeOf(error).toEqualTypeOf<LatchError>();
      expectTypeOf(error.code).toEqualTypeOf<"ELATCH" | "ELATCHSTUCK">();
    }
    if (LatchStuckError.isInstance(error)) {
      expectTypeOf(error).toEqualTypeOf<LatchStuckError>();
      expectTypeOf(error.code).toEqualTypeOf<"ELATCHSTUCK">();
      // a type argument, not inference, which would widen the literal
      expectTypeOf<typeof error.name>().toEqualTypeOf<"LatchStuckError">();
      expectTypeOf(error.stuckMs).toEqualTypeOf<number>();
    }
  });

  it("accepts only error classes in defineError", () => {
    // @ts-expect-error a plain Error class has no code to register
    defineError(Error, "latch", "Error");
  });
});
