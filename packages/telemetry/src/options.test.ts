import { describe, expect, it } from "vitest";
import { createLogger, createTelemetry, sentryReporter } from "./index.ts";

/** Options as a JavaScript caller or a config file would pass them: unchecked by tsc. */
const loose = (options: Record<string, unknown>) => options as never;

describe("unknown options are refused at once, naming the key and the right one", () => {
  it("createTelemetry names typos and other libraries' names", () => {
    expect(() => createTelemetry(loose({ serviceName: "s", logArg: true }))).toThrow(
      new TypeError("Unknown option `logArg` in createTelemetry(); did you mean `logArgs`?"),
    );
    expect(() => createTelemetry(loose({ serviceName: "s", service: "x" }))).toThrow(
      new TypeError("Unknown option `service` in createTelemetry(): use `serviceName`"),
    );
  });

  it("createLogger names its typos", () => {
    expect(() => createLogger(loose({ levle: "info" }))).toThrow(
      new TypeError("Unknown option `levle` in createLogger(); did you mean `level`?"),
    );
  });

  it("metricsHandler and sentryReporter name their typos", () => {
    const telemetry = createTelemetry({ serviceName: "s" });
    expect(() => telemetry.metricsHandler(loose({ pth: "/m" }))).toThrow(
      new TypeError("Unknown option `pth` in telemetry.metricsHandler(); did you mean `path`?"),
    );
    telemetry.close();
    expect(() =>
      sentryReporter({ captureException: () => "" } as never, loose({ includeArg: true })),
    ).toThrow(
      new TypeError("Unknown option `includeArg` in sentryReporter(); did you mean `includeArgs`?"),
    );
  });

  it('createLogger({ level: "verbose" }) lists the levels', () => {
    expect(() => createLogger(loose({ level: "verbose" }))).toThrow(
      new TypeError(
        'Expected `level` to be one of "trace", "debug", "info", "warn", "error", "fatal", "silent", got "verbose"',
      ),
    );
  });
});
