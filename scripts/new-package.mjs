// Scaffolds packages/<name> in the shape every mcp-prod package shares.
// Usage: node scripts/new-package.mjs <name> "<description>"
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [name, description = ""] = process.argv.slice(2);
if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) {
  console.error("usage: node scripts/new-package.mjs <kebab-name> <description>");
  process.exit(1);
}
const dir = join(new URL("..", import.meta.url).pathname, "packages", name);
if (existsSync(join(dir, "package.json"))) {
  console.error(`packages/${name} exists`);
  process.exit(1);
}
mkdirSync(join(dir, "src"), { recursive: true });
mkdirSync(join(dir, "bench"), { recursive: true });
const manifest = {
  name: `@mcp-prod/${name}`,
  version: "0.0.0",
  description,
  keywords: ["mcp", "model-context-protocol", "resilience", name],
  license: "MIT",
  repository: {
    type: "git",
    url: "git+https://github.com/mcp-prod/mcp-prod.git",
    directory: `packages/${name}`,
  },
  type: "module",
  sideEffects: false,
  exports: {
    ".": {
      import: { types: "./dist/index.d.ts", default: "./dist/index.js" },
      require: { types: "./dist/index.d.cts", default: "./dist/index.cjs" },
    },
    "./package.json": "./package.json",
  },
  main: "./dist/index.cjs",
  module: "./dist/index.js",
  types: "./dist/index.d.cts",
  files: ["dist", "CHANGELOG.md"],
  engines: { node: ">=20.19.0" },
  publishConfig: { access: "public" },
  scripts: {
    build: "tsup",
    test: "vitest run",
    typecheck: "tsc -p tsconfig.json",
    publint: "publint --strict",
    attw: "attw --pack . --profile node16",
    bench: "tsx bench/index.bench.ts",
  },
  dependencies: {},
  peerDependencies: {},
  devDependencies: { "@mcp-prod/internal": "workspace:*" },
};
const files = {
  "package.json": `${JSON.stringify(manifest, null, 2)}\n`,
  "tsconfig.json": `{ "extends": "../../tsconfig.base.json", "include": ["src", "bench", "*.ts"] }\n`,
  "tsup.config.ts": `import { defineConfig } from "tsup";\nimport { baseConfig } from "../../tsup.base.ts";\n\nexport default defineConfig(baseConfig);\n`,
  "vitest.config.ts": `import { defineTestConfig } from "../../vitest.shared.ts";\n\nexport default defineTestConfig();\n`,
  "src/index.ts": "",
  "CHANGELOG.md": `# @mcp-prod/${name}\n`,
  "README.md": `# @mcp-prod/${name}\n\n${description}\n`,
};
for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
copyFileSync(join(dir, "..", "..", "LICENSE"), join(dir, "LICENSE"));
console.log(`packages/${name} created`);
