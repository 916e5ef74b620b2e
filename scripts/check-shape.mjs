// Keeps every package to the one shape CONTRIBUTING describes, and every shared
// piece in its one home in @mcp-prod/internal. Run by `pnpm lint`; prints each
// breach with its file and fails when there is one.
//
// - A wrapper package (one with a src/conformance.test.ts) has its public
//   `withX` and its handler form `wrapWithX` in src/with-x.ts, dispatching
//   through internal's `defineWrapper`; its options in src/options.ts, its
//   errors in src/errors.ts, no src/policy.ts; and re-exports compose,
//   POLICY_ORDER and the ToolPolicy, PolicyContext, PolicyKind, ToolHandler and
//   ToolResult types.
// - Every package: options only in src/options.ts (no `*-options.ts`,
//   `option-keys.ts`); its own test helpers only in `*.test-helpers.ts`
//   beside its tests, fixtures in src/fixtures; unknown option keys checked
//   against a list from `optionKeys<T>()`, never a hand-written literal;
//   no hand-written cleanup arrays in tests (onTestFinished, or one helper
//   that registers it).
// - The pieces internal owns are declared nowhere else.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { indexExports } from "./package-exports.mjs";

const root = new URL("..", import.meta.url).pathname;
const packagesDir = join(root, "packages");
const problems = [];
const fail = (file, message) => problems.push(`${relative(root, file)}: ${message}`);

function files(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else out.push(path);
  }
  return out;
}

const pascal = (kebab) => kebab.replace(/(^|-)([a-z])/g, (_, __, letter) => letter.toUpperCase());
const isTest = (path) =>
  /\.test(-d)?\.ts$|\.test-helpers\.ts$/.test(path) || path.includes("/fixtures/");
const read = (path) => readFileSync(path, "utf8");

const SHARED = [
  "compose",
  "POLICY_ORDER",
  "PolicyContext",
  "PolicyKind",
  "ToolHandler",
  "ToolPolicy",
  "ToolResult",
];

for (const pkg of readdirSync(packagesDir).sort()) {
  const pkgDir = join(packagesDir, pkg);
  const src = join(pkgDir, "src");
  if (!existsSync(join(pkgDir, "package.json")) || !existsSync(src)) continue;
  const all = files(src);
  const sources = all.filter((path) => path.endsWith(".ts") && !isTest(path));
  const tests = all.filter((path) => /\.test(-d)?\.ts$/.test(path));

  // Options live in options.ts.
  for (const path of sources) {
    const name = path.slice(src.length + 1);
    if (/(^|\/)[a-z-]+-options\.ts$/.test(name) || name === "option-keys.ts")
      fail(path, "options live in src/options.ts, not in a file of their own name");
  }

  // Test helpers: *.test-helpers.ts beside the tests; fixtures in src/fixtures.
  for (const path of all) {
    const name = path.slice(src.length + 1);
    if (/(^|\/)(test-support|test-utils|test-helpers|helpers)\.ts$/.test(name))
      fail(path, "a package's own test helpers go in one `<name>.test-helpers.ts` file");
  }
  if (existsSync(join(pkgDir, "test")))
    fail(
      join(pkgDir, "test"),
      "tests, helpers and fixtures live in src/ (fixtures in src/fixtures)",
    );

  // Unknown option keys are checked against compiler-checked lists.
  for (const path of sources) {
    for (const match of read(path).matchAll(
      /assertKnownKeys\(\s*[\w.]+,\s*(\[|new Set\(\[)\s*"/g,
    )) {
      const line = read(path).slice(0, match.index).split("\n").length;
      fail(path, `line ${line}: a hand-written key list; use optionKeys<Options>({ … })`);
    }
    for (const match of read(path).matchAll(
      /(?:KEYS|knownKeys|extraKeys)\b[^=\n]*=\s*(?:new Set\()?\[\s*"/g,
    )) {
      const line = read(path).slice(0, match.index).split("\n").length;
      fail(path, `line ${line}: a hand-written key list; use optionKeys<Options>({ … })`);
    }
  }

  // Cleanup through onTestFinished, never an array of closers.
  for (const path of tests) {
    const text = read(path);
    for (const match of text.matchAll(
      /(?:const|let)\s+\w+\s*:\s*Array<\s*\(\)\s*=>\s*(?:unknown|void|Promise<[^>]*>)[^>]*>\s*=\s*\[\]/g,
    )) {
      const line = text.slice(0, match.index).split("\n").length;
      fail(path, `line ${line}: a hand-written cleanup array; use onTestFinished()`);
    }
  }

  // The wrapper shape.
  if (existsSync(join(src, "conformance.test.ts"))) {
    const wrappers = sources.filter((path) => /\/src\/with-[a-z-]+\.ts$/.test(path));
    if (wrappers.length !== 1)
      fail(src, `a wrapper package has exactly one src/with-<name>.ts, found ${wrappers.length}`);
    for (const path of wrappers) {
      const kebab = path.match(/with-([a-z-]+)\.ts$/)[1];
      const publicName = `with${pascal(kebab)}`;
      const innerName = `wrapWith${pascal(kebab)}`;
      const text = read(path);
      if (!new RegExp(`export function ${publicName}\\b`).test(text))
        fail(path, `exports no function ${publicName}`);
      if (!new RegExp(`export function ${innerName}\\b`).test(text))
        fail(path, `exports no handler form ${innerName}`);
      if (!/\bdefineWrapper\(/.test(text))
        fail(
          path,
          "dispatches between the handler and policy forms without internal's defineWrapper",
        );
      const exported = indexExports(pkgDir);
      if (!exported.has(publicName)) fail(join(src, "index.ts"), `does not export ${publicName}`);
      if (exported.has(innerName)) fail(join(src, "index.ts"), `exports the inner ${innerName}`);
      for (const name of SHARED)
        if (!exported.has(name))
          fail(join(src, "index.ts"), `does not re-export ${name} from internal`);
      for (const other of sources)
        if (other !== path && new RegExp(`export function ${publicName}\\b`).test(read(other)))
          fail(other, `declares ${publicName} outside ${relative(pkgDir, path)}`);
    }
    for (const required of ["options.ts", "errors.ts"])
      if (!existsSync(join(src, required))) fail(src, `a wrapper package has src/${required}`);
    if (existsSync(join(src, "policy.ts")))
      fail(
        join(src, "policy.ts"),
        "the policy form lives in src/with-<name>.ts beside the wrapper",
      );
  }

  // Pieces with one home in internal.
  if (pkg !== "internal") {
    const homes = [
      [/class ToolResultError\b/, "ToolResultError"],
      [/type Jitter\s*=/, "Jitter"],
      [/function describeError\b/, "describeError"],
      [
        /function (readIdentity|metaOf|readCallContext|readToolCall)\b/,
        "the SDK call-context reader",
      ],
      [/function (defineWrapper|isProductionEnvironment|withDeadline)\b/, "a shared helper"],
      [
        /\.message\.(startsWith|includes)\(|\/[^/\n]*(ECONNREFUSED|fetch failed|socket hang up)[^/\n]*\/[a-z]*\.test\(/,
        "message-text matching (classify by code)",
      ],
    ];
    const networkCodes =
      /"(ECONNRESET|ECONNREFUSED|ECONNABORTED|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|UND_ERR_SOCKET)"/g;
    for (const path of sources) {
      const text = read(path);
      for (const [pattern, piece] of homes)
        if (pattern.test(text))
          fail(path, `declares ${piece} again; it lives once in @mcp-prod/internal`);
      // One code is a code a package raises; two or more are a table of its own.
      if (new Set([...text.matchAll(networkCodes)].map((match) => match[1])).size > 1)
        fail(
          path,
          "declares a table of network error codes again; it lives once in @mcp-prod/internal",
        );
    }
  }
}

if (problems.length > 0) {
  console.error(
    `Package shape: ${problems.length} problem(s)\n${problems.map((line) => `  ${line}`).join("\n")}`,
  );
  process.exit(1);
}
console.log("Package shape: every package keeps to it.");
