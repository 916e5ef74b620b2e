// The consumer test: every publishable package, packed and installed alone with
// npm into a fresh project outside the workspace, the way a user meets it.
//
// For each package it
//   - packs it (`pnpm pack`) and checks the tarball holds only dist/, README.md,
//     CHANGELOG.md, package.json and LICENSE;
//   - installs the tarball plus exactly what its README's `npm install` line
//     names, and fails on any @mcp-prod/* package it does not declare;
//   - imports it as ESM and requires it as CJS and makes one real call
//     (scripts/consumers/<name>.mjs, which gets the module and a `load(id)`
//     that imports from the consumer project) on every Node given with --node;
//   - type-checks the README's first ```ts block with tsc under
//     moduleResolution node16 and bundler, then runs it (compiled by tsc) on
//     every Node given, within a time limit, with REDIS_URL and DATABASE_URL
//     passed through: it must exit 0 by itself and print something;
//   - checks that the published declarations import no optional peer
//     dependency (a memory-only cache user has no ioredis);
//   - prints the packed size and the install footprint.
//
// Usage: node scripts/test-consumers.mjs [--node /path/to/node ...] [--only name]
// Saves its totals to .reports/runs/consumers.json for scripts/test-summary.mjs --total.
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";

const root = new URL("..", import.meta.url).pathname;
const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: { node: { type: "string", multiple: true, default: [] }, only: { type: "string" } },
});
const nodes = [process.execPath, ...flags.node];
/** A quick start that has not exited by then hangs: a timer, socket or client left open. */
const quickStartTimeoutMs = 30_000;
const only = flags.only;

/**
 * The quick starts run against a database of their own, created empty for this
 * run, as the READMEs ask ("a database you may create two small tables in"):
 * the shared test database holds the example servers' tables of the same names.
 */
async function freshDatabase(url) {
  if (!url) return undefined;
  const pg = createRequire(join(root, "packages", "pool", "package.json"))("pg");
  const name = "mcp_prod_quickstarts";
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const fresh = new URL(url);
  fresh.pathname = `/${name}`;
  return fresh.toString();
}
const quickStartEnv = { ...process.env };
const quickStartDatabase = await freshDatabase(process.env.DATABASE_URL);
if (quickStartDatabase) quickStartEnv.DATABASE_URL = quickStartDatabase;

const allowedInTarball = [
  /^dist\//,
  /^README\.md$/,
  /^CHANGELOG\.md$/,
  /^package\.json$/,
  /^LICENSE$/,
];
const results = [];
const rows = [];

function run(command, args, options = {}) {
  return execFileSync(command, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
    ...options,
  });
}

function record(name, title, fn) {
  try {
    fn();
    results.push({ name, title, status: "passed" });
    console.log(`  ✓ ${title}`);
  } catch (error) {
    const detail = [error.message, error.stdout, error.stderr].filter(Boolean).join("\n");
    results.push({ name, title, status: "failed", message: detail });
    console.log(`  ✗ ${title}\n${detail.replace(/^/gm, "      ")}`);
  }
}

/** What the README tells users to install: every word after `npm install` (or `pnpm add`, `yarn add`) on its install lines, the package itself left out. */
function readmeInstall(readme, name) {
  const lines = readme
    .split("\n")
    .filter((text) => /^\s*(npm (install|i)|pnpm add|yarn add) /.test(text));
  if (!lines.some((line) => line.split(/\s+/).includes(name))) {
    throw new Error(`README has no \`npm install ${name}\` line`);
  }
  const words = lines.flatMap((line) => line.trim().split(/\s+/).slice(2));
  return [...new Set(words.filter((word) => !word.startsWith("-") && word !== name))];
}

/** The README's first ```ts block: its quick start. */
function readmeQuickStart(readme) {
  const match = readme.match(/```(?:ts|typescript)\n([\s\S]*?)```/);
  if (!match) throw new Error("README has no ```ts quick-start block");
  return match[1];
}

/** Packages the tarball itself brings in (its dependencies, transitively), peers not counted. */
function countDependencies(project, name, peers) {
  const tree = JSON.parse(run("npm", ["ls", "--all", "--json", "--omit=dev"], { cwd: project }));
  const seen = new Set();
  const walk = (node, top) => {
    for (const [dep, child] of Object.entries(node.dependencies ?? {})) {
      if (top && peers.has(dep)) continue;
      const id = `${dep}@${child.version}`;
      if (seen.has(id)) continue;
      seen.add(id);
      walk(child, false);
    }
  };
  walk(tree.dependencies?.[name] ?? {}, true);
  return seen.size;
}

const workDir = mkdtempSync(join(tmpdir(), "mcp-prod-consumers-"));
const tarballs = join(workDir, "tarballs");
mkdirSync(tarballs);

// Shared tooling for the type check, installed once outside every consumer project.
const toolDir = join(workDir, "tools");
mkdirSync(toolDir);
writeFileSync(join(toolDir, "package.json"), '{ "private": true }\n');
const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
run(
  "npm",
  [
    "install",
    "--no-audit",
    "--no-fund",
    `typescript@${rootManifest.devDependencies.typescript}`,
    `@types/node@${rootManifest.devDependencies["@types/node"]}`,
  ],
  { cwd: toolDir },
);
const tsc = join(toolDir, "node_modules", "typescript", "bin", "tsc");

const packagesDir = join(root, "packages");
/** Every public package's folder and manifest, by name. */
const workspace = new Map();
for (const folder of readdirSync(packagesDir)) {
  const manifestPath = join(packagesDir, folder, "package.json");
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  if (!manifest.private) workspace.set(manifest.name, { folder, manifest });
}
const packed = new Map();
/** Packs a workspace package once and returns its tarball. */
function pack(name) {
  if (!packed.has(name)) {
    const output = run("pnpm", ["pack", "--pack-destination", tarballs], {
      cwd: join(packagesDir, workspace.get(name).folder),
    })
      .trim()
      .split("\n");
    packed.set(name, join(tarballs, basename(output.at(-1))));
  }
  return packed.get(name);
}
/** The @mcp-prod packages a package depends on, transitively: installed from their tarballs, as the registry would. */
function siblingsOf(manifest, seen = new Set()) {
  for (const dep of Object.keys(manifest.dependencies ?? {})) {
    if (!workspace.has(dep) || seen.has(dep)) continue;
    seen.add(dep);
    siblingsOf(workspace.get(dep).manifest, seen);
  }
  return seen;
}

for (const folder of readdirSync(packagesDir).sort()) {
  const dir = join(packagesDir, folder);
  const manifestPath = join(dir, "package.json");
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  if (manifest.private || (only && folder !== only)) continue;
  const name = manifest.name;
  console.log(`\n${name}`);
  const readme = readFileSync(join(dir, "README.md"), "utf8");
  let tarball;
  let project;

  record(name, `${name}: packs with only dist, README, CHANGELOG, package.json and LICENSE`, () => {
    tarball = pack(name);
    if (!existsSync(tarball)) throw new Error(`pnpm pack wrote no tarball at ${tarball}`);
    const files = run("tar", ["tzf", tarball])
      .trim()
      .split("\n")
      .map((file) => file.replace(/^package\//, ""));
    const stray = files.filter((file) => !allowedInTarball.some((pattern) => pattern.test(file)));
    if (stray.length > 0) throw new Error(`unexpected files in the tarball: ${stray.join(", ")}`);
    for (const needed of [
      "README.md",
      "CHANGELOG.md",
      "package.json",
      "LICENSE",
      "dist/index.js",
      "dist/index.cjs",
      "dist/index.d.ts",
      "dist/index.d.cts",
    ]) {
      if (!files.includes(needed)) throw new Error(`the tarball lacks ${needed}`);
    }
    const packed = JSON.parse(run("tar", ["xzf", tarball, "-O", "package/package.json"]));
    for (const field of ["dependencies", "peerDependencies"]) {
      for (const [dep, range] of Object.entries(packed[field] ?? {})) {
        if (String(range).startsWith("workspace:"))
          throw new Error(`${field}.${dep} is still ${range}`);
      }
    }
  });
  if (!tarball) continue;

  record(name, `${name}: installs alone with npm plus what its README names`, () => {
    project = join(workDir, folder);
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      `${JSON.stringify({ name: `consumer-${folder}`, private: true, type: "module" }, null, 2)}\n`,
    );
    const extras = readmeInstall(readme, name);
    const siblings = siblingsOf(manifest);
    const siblingTarballs = [...siblings].map(pack);
    run(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--no-package-lock",
        tarball,
        ...siblingTarballs,
        ...extras,
      ],
      { cwd: project },
    );
    const scope = join(project, "node_modules", "@mcp-prod");
    const installed = existsSync(scope)
      ? readdirSync(scope).map((entry) => `@mcp-prod/${entry}`)
      : [];
    const declared = new Set([
      name,
      ...siblings,
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const undeclared = installed.filter((entry) => !declared.has(entry));
    if (undeclared.length > 0) throw new Error(`pulls in undeclared ${undeclared.join(", ")}`);
    const dist = join(project, "node_modules", name, "dist");
    // What a user reads, the README and the declarations' TSDoc, names the pattern, never a document they have not seen.
    for (const file of ["README.md", ...readdirSync(dist).map((entry) => `dist/${entry}`)]) {
      if (!/(README\.md|\.d\.c?ts)$/.test(file)) continue;
      const internal = /\bthe seed\b|\bseed's\b/i.exec(
        readFileSync(join(project, "node_modules", name, file), "utf8"),
      );
      if (internal) throw new Error(`${file} says "${internal[0]}"`);
    }
    for (const file of readdirSync(dist)) {
      const code = /\.(c?js|d\.c?ts)$/.test(file) ? readFileSync(join(dist, file), "utf8") : "";
      if (/(from\s*|require\(\s*|import\(\s*)["']@mcp-prod\/internal["']/.test(code)) {
        throw new Error(`dist/${file} refers to the private @mcp-prod/internal`);
      }
    }
    const size = statSync(tarball).size;
    const footprint = countDependencies(
      project,
      name,
      new Set(Object.keys(manifest.peerDependencies ?? {})),
    );
    rows.push({ name, size, footprint, extras: extras.join(" ") || "—" });
  });
  if (!project) continue;

  record(name, `${name}: published declarations import no optional peer dependency`, () => {
    const optional = Object.entries(manifest.peerDependenciesMeta ?? {})
      .filter(([, meta]) => meta?.optional)
      .map(([dep]) => dep);
    const dist = join(project, "node_modules", name, "dist");
    for (const file of readdirSync(dist).filter((entry) => /\.d\.c?ts$/.test(entry))) {
      const code = readFileSync(join(dist, file), "utf8");
      for (const dep of optional) {
        // Statements start a line; an @example in a TSDoc comment starts with " * ".
        const pattern = new RegExp(
          `^(import|export)\\b[^;]*?from\\s*["']${dep.replace(/[/.]/g, "\\$&")}(/[^"']*)?["']`,
          "m",
        );
        if (pattern.test(code)) throw new Error(`dist/${file} imports the optional peer ${dep}`);
      }
    }
  });

  const smoke = join(root, "scripts", "consumers", `${folder}.mjs`);
  for (const node of nodes) {
    const version = run(node, ["--version"]).trim();
    for (const format of ["esm", "cjs"]) {
      record(
        name,
        `${name}: ${format === "esm" ? "import" : "require"} and a real call on Node ${version}`,
        () => {
          if (!existsSync(smoke))
            throw new Error(`no smoke call at scripts/consumers/${folder}.mjs`);
          const load =
            format === "esm"
              ? `await import(${JSON.stringify(name)})`
              : `createRequire(process.cwd() + "/")(${JSON.stringify(name)})`;
          const script = `import { createRequire } from "node:module";\nimport { smoke } from ${JSON.stringify(smoke)};\nconst mod = ${load};\nawait smoke(mod, { format: ${JSON.stringify(format)}, load: (id) => import(id) });\nconsole.log("ok");\n`;
          const output = run(node, ["--input-type=module", "-e", script], {
            cwd: project,
            env: quickStartEnv,
            timeout: 60_000,
          });
          if (!output.trim().endsWith("ok")) throw new Error(`smoke call printed: ${output}`);
        },
      );
    }
  }

  for (const resolution of ["node16", "bundler"]) {
    record(name, `${name}: README quick start type-checks (moduleResolution ${resolution})`, () => {
      writeFileSync(join(project, "quickstart.ts"), readmeQuickStart(readme));
      const compilerOptions = {
        target: "ES2022",
        lib: ["ES2023"],
        module: resolution === "node16" ? "node16" : "esnext",
        moduleResolution: resolution,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ["node"],
        typeRoots: [join(toolDir, "node_modules", "@types")],
      };
      writeFileSync(
        join(project, "tsconfig.json"),
        JSON.stringify({ compilerOptions, files: ["quickstart.ts"] }, null, 2),
      );
      run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project });
    });
  }

  // The quick start as a user runs it: compiled once, then executed on every Node.
  let compiled = false;
  record(name, `${name}: README quick start compiles to JavaScript`, () => {
    const compilerOptions = {
      target: "ES2022",
      lib: ["ES2023"],
      module: "node16",
      moduleResolution: "node16",
      strict: true,
      skipLibCheck: true,
      outDir: "out",
      rootDir: ".",
      types: ["node"],
      typeRoots: [join(toolDir, "node_modules", "@types")],
    };
    writeFileSync(
      join(project, "tsconfig.emit.json"),
      JSON.stringify({ compilerOptions, files: ["quickstart.ts"] }, null, 2),
    );
    run(process.execPath, [tsc, "-p", "tsconfig.emit.json"], { cwd: project });
    compiled = existsSync(join(project, "out", "quickstart.js"));
    if (!compiled) throw new Error("tsc wrote no out/quickstart.js");
  });
  for (const node of compiled ? nodes : []) {
    const version = run(node, ["--version"]).trim();
    record(name, `${name}: README quick start runs and exits by itself on Node ${version}`, () => {
      const output = run(node, ["out/quickstart.js"], {
        cwd: project,
        env: { ...quickStartEnv, NODE_ENV: "development" },
        timeout: quickStartTimeoutMs,
        killSignal: "SIGKILL",
      });
      if (output.trim() === "") throw new Error("the quick start printed nothing on stdout");
      // What a user sees, in the log: the first lines of its output.
      const shown = output.trim().split("\n").slice(0, 8);
      console.log(shown.map((line) => `      │ ${line.slice(0, 160)}`).join("\n"));
    });
  }
}

console.log("\npackage                 packed    install footprint   installed with");
for (const row of rows) {
  const deps = row.footprint === 0 ? "no runtime deps" : `${row.footprint} transitive deps`;
  console.log(
    `${row.name.padEnd(24)}${`${(row.size / 1024).toFixed(1)} kB`.padEnd(10)}${deps.padEnd(20)}${row.extras}`,
  );
}

const passed = results.filter((result) => result.status === "passed").length;
const failed = results.length - passed;
mkdirSync(join(root, ".reports", "runs"), { recursive: true });
writeFileSync(
  join(root, ".reports", "runs", "consumers.json"),
  JSON.stringify({
    passed,
    failed,
    skipped: 0,
    problems: results.filter((result) => result.status === "failed").map((result) => result.title),
  }),
);
rmSync(workDir, { recursive: true, force: true });
console.log(`\nconsumer test: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
