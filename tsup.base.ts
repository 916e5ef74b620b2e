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
  dts: { resolve: [/^@mcp-prod\/internal/] },
  noExternal: [/^@mcp-prod\/internal/],
  clean: true,
  sourcemap: true,
  splitting: false,
  treeshake: true,
} satisfies Options;
