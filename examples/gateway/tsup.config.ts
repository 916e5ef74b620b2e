import { defineConfig } from "tsup";
import { examplesConfig } from "../../tsup.base.ts";

export default defineConfig({ ...examplesConfig, entry: ["src/main.ts"] });
