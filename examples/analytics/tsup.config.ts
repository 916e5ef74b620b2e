import { defineConfig } from "tsup";

export default defineConfig({
  entry: { main: "src/main.ts", upstream: "upstream/main.ts" },
  format: ["esm"],
  target: "node20",
  platform: "node",
  // The examples kit is workspace source: bundled in, so the built server needs only its dependencies.
  noExternal: [/^@mcp-prod-examples\/kit/],
  clean: true,
  sourcemap: true,
});
