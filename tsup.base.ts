import type { Options } from "tsup";

/**
 * The one build every package shares: ESM + CJS, bundled declarations for both,
 * and the private `@mcp-prod/internal` helpers inlined so that no published
 * package depends on another @mcp-prod package it does not declare.
 */
export const baseConfig = {
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  target: "node20",
  platform: "node",
  dts: {
    resolve: [/^@mcp-prod\/internal/],
    // Resolved through node_modules, internal's files count as an external
    // library to the declaration bundler, which then leaves its relative
    // imports (`./tool-handler.ts`) dangling in dist/index.d.ts. Mapped to its
    // real path (from packages/<name>), internal is inlined like the package's own files.
    compilerOptions: { paths: { "@mcp-prod/internal": ["../internal/src/index.ts"] } },
  },
  noExternal: [/^@mcp-prod\/internal/],
  clean: true,
  sourcemap: true,
  splitting: false,
  treeshake: true,
} satisfies Options;

/**
 * The example servers' build: one ESM bundle per entry, their dependencies
 * left external (installed by `pnpm deploy --prod`), the private examples kit
 * bundled in.
 */
export const examplesConfig = {
  format: ["esm"],
  target: "node20",
  platform: "node",
  noExternal: [/^@mcp-prod-examples\/kit/],
  clean: true,
  sourcemap: true,
} satisfies Options;
