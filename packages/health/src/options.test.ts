import { describe, expect, it } from "vitest";
import { createHealth, httpCheck, pgCheck } from "./index.ts";

/** Options as a JavaScript caller or a config file would pass them: unchecked by tsc. */
const loose = (options: Record<string, unknown>) => options as never;
const ok = async () => true;

describe("unknown options are refused at once, naming the key and the right one", () => {
  it("createHealth({ chekcs }) names `checks`", () => {
    expect(() => createHealth(loose({ chekcs: { database: ok } }))).toThrow(
      new TypeError("Unknown option `chekcs` in createHealth(); did you mean `checks`?"),
    );
    expect(() => createHealth(loose({ healthChecks: {} }))).toThrow(
      new TypeError("Unknown option `healthChecks` in createHealth(): use `checks`"),
    );
  });

  it("a check entry's `critcal` names `critical`", () => {
    expect(() => createHealth({ checks: { cache: loose({ check: ok, critcal: false }) } })).toThrow(
      new TypeError(
        "Unknown option `critcal` in createHealth() `checks.cache`; did you mean `critical`?",
      ),
    );
  });

  it("`paths` refuses a route that does not exist", () => {
    expect(() => createHealth(loose({ paths: { readyz: "/readyz" } }))).toThrow(
      new TypeError("Unknown option `readyz` in createHealth() `paths`; did you mean `ready`?"),
    );
  });

  it("gracefulShutdown({ drainMS }) names `drainMs` and lightship's name", () => {
    const health = createHealth();
    expect(() => health.gracefulShutdown(loose({ drainMS: 10, exit: false }))).toThrow(
      new TypeError(
        "Unknown option `drainMS` in health.gracefulShutdown(); did you mean `drainMs`?",
      ),
    );
    expect(() => health.gracefulShutdown(loose({ shutdownDelay: 10, exit: false }))).toThrow(
      new TypeError(
        "Unknown option `shutdownDelay` in health.gracefulShutdown(): use `drainMs` (milliseconds)",
      ),
    );
    health.close();
  });

  it("httpCheck and pgCheck name their typos", () => {
    expect(() => httpCheck("http://127.0.0.1:1/", loose({ timeoutMS: 10 }))).toThrow(
      new TypeError("Unknown option `timeoutMS` in httpCheck(); did you mean `timeoutMs`?"),
    );
    expect(() => pgCheck({ query: async () => {} }, loose({ sql: "SELECT 1" }))).toThrow(
      /Unknown option `sql` in pgCheck\(\)/,
    );
  });
});
