// The example gateway refuses a variable it does not read: `GATEWAY_API_KEY` (for
// GATEWAY_API_KEYS) would otherwise start a gateway without authentication.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const main = join(import.meta.dirname, "..", "dist", "main.js");

describe("the example gateway's environment", () => {
  it("refuses GATEWAY_API_KEY with a did-you-mean, without starting and without printing the key", {
    timeout: 30_000,
  }, async () => {
    const failure = await run(process.execPath, [main], {
      env: { PATH: process.env.PATH, SERVER_PORT: "0", GATEWAY_API_KEY: "s3cret-value=ops:*" },
    }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failure?.code).not.toBe(0);
    expect(failure?.stderr).toContain("GATEWAY_API_KEYS");
    expect(failure?.stderr).not.toContain("s3cret-value");
  });
});
