import { describe, expect, it } from "vitest";
import { z } from "zod";
import { env, loadConfig, secret } from "./index.ts";

/** Options as a JavaScript caller or a config file would pass them: unchecked by tsc. */
const loose = (options: Record<string, unknown>) => options as never;

describe("unknown options are refused at once, naming the key and the right one", () => {
  it('env(…, { devDefualt }) names `devDefault` instead of a misleading "is required"', () => {
    expect(() => env("LOG_LEVEL", z.string(), loose({ devDefualt: "debug" }))).toThrow(
      new TypeError('Unknown option `devDefualt` in env("LOG_LEVEL"); did you mean `devDefault`?'),
    );
    expect(() => secret("API_TOKEN", z.string(), loose({ devDefualt: "x" }))).toThrow(
      new TypeError(
        'Unknown option `devDefualt` in secret("API_TOKEN"); did you mean `devDefault`?',
      ),
    );
  });

  it("loadConfig names its typos and other libraries' names", () => {
    const shape = { port: env("PORT", z.string().default("1")) };
    expect(() => loadConfig(shape, loose({ envFile: [".env"] }))).toThrow(
      new TypeError("Unknown option `envFile` in loadConfig(): use `envFiles` (an array of paths)"),
    );
    expect(() => loadConfig(shape, loose({ strictPrefx: "MCP_" }))).toThrow(
      new TypeError("Unknown option `strictPrefx` in loadConfig(); did you mean `strictPrefix`?"),
    );
    expect(() => loadConfig(shape, loose({ runtimeEnv: {} }))).toThrow(
      new TypeError("Unknown option `runtimeEnv` in loadConfig(): use `env`"),
    );
  });
});

describe("surprising defaults", () => {
  it("an empty value counts as unset: PORT= with .default(3000) gives 3000, not 0", () => {
    const shape = { port: env("PORT", z.coerce.number().default(3000)) };
    expect(loadConfig(shape, { env: { PORT: "" } }).port).toBe(3000);
    // The opt-out hands "" to the schema, as before.
    expect(loadConfig(shape, { env: { PORT: "" }, emptyStringAsUndefined: false }).port).toBe(0);
  });

  it("a required variable set to the empty string is reported as empty", () => {
    expect(() =>
      loadConfig({ host: env("DB_HOST", z.string()) }, { env: { DB_HOST: "" } }),
    ).toThrow(
      "DB_HOST (host): is required but empty (an empty value counts as unset; set DB_HOST or DB_HOST_FILE)",
    );
  });

  it("refuses z.coerce.boolean(), even under .default(), pointing to z.stringbool()", () => {
    for (const schema of [z.coerce.boolean(), z.coerce.boolean().default(false).optional()]) {
      expect(() => env("FEATURE_X", schema)).toThrow(
        new TypeError(
          'Expected the schema of FEATURE_X not to be z.coerce.boolean(), which reads "false" and "0" as true: use z.stringbool() ("true"/"false", "1"/"0", "yes"/"no", "on"/"off")',
        ),
      );
    }
    expect(
      loadConfig({ x: env("FEATURE_X", z.stringbool()) }, { env: { FEATURE_X: "false" } }).x,
    ).toBe(false);
  });
});
