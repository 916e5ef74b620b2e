import { describe, expect, it } from "vitest";
import { redactSecrets } from "./redact.ts";

describe("redactSecrets", () => {
  it("hides URL passwords, bearer tokens and key=value secrets, and keeps the rest", () => {
    expect(redactSecrets("connect ECONNREFUSED redis://:p4ss@10.0.0.5:6379")).toBe(
      "connect ECONNREFUSED redis://:***@10.0.0.5:6379",
    );
    expect(redactSecrets("401 for Authorization: Bearer eyJhbGciOi.x.y")).toBe(
      "401 for Authorization: Bearer ***",
    );
    expect(redactSecrets('failed with api_key=abc123&region=eu, "token": "t0k"')).toBe(
      'failed with api_key=***&region=eu, "token": "***"',
    );
    expect(redactSecrets('password authentication failed for user "app"')).toBe(
      'password authentication failed for user "app"',
    );
    expect(redactSecrets("timeout after 800 ms")).toBe("timeout after 800 ms");
  });
});
