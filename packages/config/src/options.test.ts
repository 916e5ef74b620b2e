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
