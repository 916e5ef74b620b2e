import { configDefaults, mergeConfig } from "vitest/config";
import config from "./vitest.config.ts";

// `pnpm mutation` runs the suite once per mutant; the type tests cannot see a
// runtime mutant, so they are left to `pnpm test`. StrykerJS runs every test
// file in one process, where the span test cannot register its own
// OpenTelemetry SDK; it checks tracing, not the mutated cache logic.
export default mergeConfig(config, {
  test: {
    typecheck: { enabled: false },
    exclude: [...configDefaults.exclude, "src/tracing.test.ts"],
  },
});
