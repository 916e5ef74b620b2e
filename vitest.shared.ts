import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

/**
 * Records what the JSON report leaves out: errors raised outside any test
 * (an unhandled rejection fails the run while every test passed) and how the
 * run ended, in `.reports/vitest-run.json` for `scripts/test-summary.mjs`.
 */
const runOutcome = {
  onTestRunEnd(_modules: unknown, unhandledErrors: ReadonlyArray<unknown>, reason: string) {
    const dir = join(process.cwd(), ".reports");
    mkdirSync(dir, { recursive: true });
    const messages = unhandledErrors.map((error) =>
      String((error as { message?: unknown } | null)?.message ?? error).slice(0, 300),
    );
    writeFileSync(
      join(dir, "vitest-run.json"),
      JSON.stringify({ reason, unhandledErrors: messages }),
    );
  },
};

/**
 * The test setup every package shares. Each run also writes a JSON report to
 * `.reports/vitest.json`, which `scripts/test-summary.mjs` adds up across the
 * workspace into the closing `N passed, N failed` line.
 *
 * `services` names the real servers a package's tests talk to; when one is not
 * reachable the run stops before any test with a message naming the variable.
 */
export function defineTestConfig(
  options: { services?: ReadonlyArray<"redis" | "postgres">; testTimeout?: number } = {},
) {
  const { services = [], testTimeout = 20_000 } = options;
  return defineConfig({
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout,
      hookTimeout: 60_000,
      reporters: ["default", "json", runOutcome],
      outputFile: { json: ".reports/vitest.json" },
      setupFiles: [new URL("./scripts/vitest-setup.ts", import.meta.url).pathname],
      typecheck: { enabled: true, include: ["src/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
      ...(services.length > 0
        ? {
            globalSetup: [new URL("./scripts/require-services.ts", import.meta.url).pathname],
            provide: { requiredServices: [...services] },
          }
        : {}),
    },
  });
}
