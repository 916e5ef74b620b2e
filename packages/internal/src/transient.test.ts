import { type AddressInfo, createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { describeError, errorCode, findInCauses, isNetworkError } from "./index.ts";

describe("isNetworkError", () => {
  it.each([["ECONNREFUSED"], ["ECONNRESET"], ["EPIPE"], ["EAI_AGAIN"], ["UND_ERR_SOCKET"]])(
    "is true for the code %s",
    (code) => {
      expect(isNetworkError(Object.assign(new Error("x"), { code }))).toBe(true);
    },
  );

  it("finds the code under undici's `TypeError: fetch failed`", async () => {
    // A port nothing listens on any more: the real error fetch gives.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const failure = await fetch(`http://127.0.0.1:${port}/`).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TypeError);
    expect(isNetworkError(failure)).toBe(true);
  });

  it("reads codes, never message text", () => {
    expect(isNetworkError(new Error("connect ECONNREFUSED 127.0.0.1:5432"))).toBe(false);
    expect(isNetworkError(new Error("socket hang up"))).toBe(false);
    expect(isNetworkError(Object.assign(new Error("x"), { code: "EACCES" }))).toBe(false);
    expect(isNetworkError("ECONNRESET")).toBe(false);
  });

  it("stops following a cause chain that loops", () => {
    const looped = new Error("outer") as Error & { cause?: unknown };
    looped.cause = looped;
    expect(isNetworkError(looped)).toBe(false);
  });
});

describe("findInCauses and errorCode", () => {
  it("returns the first answer down the cause chain", () => {
    const inner = Object.assign(new Error("inner"), { code: "EPIPE" });
    const outer = new Error("outer", { cause: inner });
    expect(findInCauses(outer, errorCode)).toBe("EPIPE");
    expect(errorCode({ code: 7 })).toBeUndefined();
  });
});

describe("describeError", () => {
  it("quotes an error's message, or a thrown value, with secrets redacted", () => {
    expect(describeError(new Error("connect to redis://:s3cret@cache:6379 failed"))).toBe(
      "connect to redis://:***@cache:6379 failed",
    );
    expect(describeError("password=hunter2 rejected")).toBe("password=*** rejected");
    expect(describeError(42)).toBe("42");
  });
});
