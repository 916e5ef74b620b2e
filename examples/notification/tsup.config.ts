import { defineConfig } from "tsup";
import { examplesConfig } from "../../tsup.base.ts";

export default defineConfig({
  ...examplesConfig,
  entry: { main: "src/main.ts", provider: "src/provider/main.ts" },
});
