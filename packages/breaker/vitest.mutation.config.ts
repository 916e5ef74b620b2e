import { mergeConfig } from "vitest/config";
import config from "./vitest.config.ts";

// `pnpm mutation` runs the suite once per mutant; the type tests cannot see a
// runtime mutant, so they are left to `pnpm test`.
export default mergeConfig(config, { test: { typecheck: { enabled: false } } });
