// Every export the docs name exists: a package README's API headings
// (`### \`withBreaker(handler, options)\``) name exports of that package, and
// every code-formatted name that looks like an export of ours (`createX`,
// `withX`, `XError`, `X_META_KEY`, …) in a README or CONTRIBUTING is exported
// by some package (internal and testkit included). Run by `pnpm lint`.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { indexExports } from "./package-exports.mjs";

const root = new URL("..", import.meta.url).pathname;
const packagesDir = join(root, "packages");
const problems = [];

const exportsOf = new Map();
for (const pkg of readdirSync(packagesDir)) {
  const dir = join(packagesDir, pkg);
  if (existsSync(join(dir, "src", "index.ts"))) exportsOf.set(pkg, indexExports(dir));
}
// testkit's subpath entries are exports too.
for (const entry of ["otel", "bench", "wrapper", "mcp"]) {
  const file = join(
    packagesDir,
    "testkit",
    "src",
    entry === "wrapper" ? "tool-wrapper.ts" : `${entry}.ts`,
  );
  if (!existsSync(file)) continue;
  for (const match of readFileSync(file, "utf8").matchAll(
    /export (?:async )?(?:function|const|class|type) (\w+)/g,
  ))
    exportsOf.get("testkit")?.add(match[1]);
}
const everything = new Set([...exportsOf.values()].flatMap((names) => [...names]));

// Methods of the exported objects (`telemetry.observeBreaker`) and the names a
// package reads as strings (environment variables) are the code's words too.
function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, name.name);
    if (name.isDirectory()) out.push(...sources(path));
    else if (/\.ts$/.test(name.name) && !/\.test(-d)?\.ts$|test-helpers/.test(name.name))
      out.push(path);
  }
  return out;
}
/** The environment variables each package reads, named as strings in its source. */
const variablesOf = new Map();
for (const pkg of exportsOf.keys()) {
  const variables = new Set();
  for (const file of sources(join(packagesDir, pkg, "src"))) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/^\s+(?:readonly\s+)?(?:async\s+)?(\w+)\??[(<:]/gm))
      everything.add(match[1]);
    for (const match of text.matchAll(/"([A-Z][A-Z0-9_]+)"/g)) variables.add(match[1]);
  }
  variablesOf.set(pkg, variables);
  for (const name of variables) everything.add(name);
}

/** Names of other libraries the docs compare with; not ours to export. */
const FOREIGN = new Set([
  // placeholders and a user's own classes in examples
  "withX",
  "wrapWithX",
  "QuotaError",
  // opossum, cockatiel, Polly, resilience4j, p-retry, bentocache, cache-manager, lightship, terminus
  "CircuitBreaker",
  "CircuitBreakerPolicy",
  "BrokenCircuitError",
  "TaskCancelledError",
  "BulkheadRejectedError",
  "BulkheadQueueFullError",
  "TimeoutStrategy",
  "createCache",
  "AbortError",
  "TimeoutError",
  "DOMException",
  "TypeError",
  "RangeError",
  "McpError",
  "StreamableHTTPError",
  "createServer",
  "createTerminus",
  "createLightship",
  "withFallback",
  "withCache",
  "withRetry",
  "withBreaker",
  "withTimeout",
  "withTelemetry",
  "withRateLimit",
  "withBulkhead",
  "withChaos",
]);
const EXPORT_LIKE =
  /^(?:(?:create|with|wrap|define|observe|connect|serve|start)[A-Z]\w*|[A-Z]\w*Error|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_(?:KEY|MESSAGE|ORDER|BUCKETS|SCOPE|FIELDS|CODES|STATUSES|KEYS))$/;

function codeNames(text) {
  const names = new Set();
  for (const match of text.matchAll(/`([^`\n]+)`/g)) {
    const name = match[1].replace(/\(.*$/, "").replace(/^new /, "").trim();
    if (/^[A-Za-z_]\w*$/.test(name)) names.add(name);
  }
  return names;
}

function check(file, own, variables = new Set()) {
  const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
  // An API heading: `### \`name(…)\`` or `### \`Name\`` of a function, class or constant.
  for (const match of text.matchAll(/^#{2,4} `(?:new )?([A-Za-z_]\w*)(\(|`)/gm)) {
    const name = match[1];
    if (match[2] !== "(" && !EXPORT_LIKE.test(name) && !/^[A-Z][a-z]/.test(name)) continue;
    if (own !== undefined && !own.has(name) && !variables.has(name))
      problems.push(`${relative(root, file)}: the heading \`${name}\` names no export`);
  }
  for (const name of codeNames(text)) {
    if (!EXPORT_LIKE.test(name) || everything.has(name) || FOREIGN.has(name)) continue;
    problems.push(`${relative(root, file)}: \`${name}\` is no package's export`);
  }
}

for (const [pkg, names] of exportsOf) {
  const readme = join(packagesDir, pkg, "README.md");
  if (existsSync(readme)) check(readme, names, variablesOf.get(pkg));
}
check(join(root, "README.md"), undefined);
check(join(root, "CONTRIBUTING.md"), undefined);

if (problems.length > 0) {
  console.error(
    `Docs against code: ${problems.length} problem(s)\n${problems.map((line) => `  ${line}`).join("\n")}`,
  );
  process.exit(1);
}
console.log("Docs against code: every export the docs name exists.");
