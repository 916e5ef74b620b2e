// What a package exports, read from its src/index.ts (re-exports only, by house rule),
// for the shape and docs checks.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Named exports of a package's src/index.ts (re-exports only, by house rule). */
export function indexExports(pkgDir) {
  const index = join(pkgDir, "src", "index.ts");
  if (!existsSync(index)) return new Set();
  const names = new Set();
  for (const match of readFileSync(index, "utf8").matchAll(/export\s*(?:type\s*)?\{([^}]*)\}/g)) {
    for (const part of match[1].split(",")) {
      const name = part
        .trim()
        .replace(/^type\s+/, "")
        .split(/\s+as\s+/)
        .pop();
      if (name) names.add(name);
    }
  }
  return names;
}
