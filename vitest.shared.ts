import { defineConfig } from "vitest/config";

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
      reporters: ["default", "json"],
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
