// The consumer test: every publishable package, packed and installed alone with
// npm into a project made the way a user makes one, outside the workspace.
//
// For each package it
//   - packs it (`pnpm pack`) and checks the tarball holds only dist/, bin/,
//     README.md, CHANGELOG.md, package.json and LICENSE, that every `bin`
//     target is a file committed in the repository (a fresh `pnpm install`
//     links it before anything is built), and that `engines.node` is the
//     repository's and what the README says;
//   - makes a project with `npm init -y` (CommonJS, as npm makes it) and
//     installs the tarball plus exactly what its README's `npm install` lines
//     name, and fails on any @mcp-prod/* package it does not declare;
//   - imports it as ESM and requires it as CJS and makes one real call
//     (scripts/consumers/<name>.mjs, which gets the module and a `load(id)`
//     that imports from the consumer project) on every Node given with --node;
//   - takes every block the README tells its reader to save and run
//     (scripts/consumers/lib/readme.mjs says how they are recognised), type-checks
//     them with tsc under moduleResolution node16 and bundler, and runs each
//     with every command the README names for it (`npx tsx quickstart.mts`,
//     `node quickstart.mts` on Node 22.18+, `NAME=value npx tsx …`) on every
//     Node given, with REDIS_URL and DATABASE_URL passed through: each must
//     exit by itself within a time limit with the exit code the README states,
//     print something, and print the lines the README says it prints;
//   - checks that the published declarations import no optional peer
//     dependency (a memory-only cache user has no ioredis);
//   - prints the packed size and the install footprint.
// Then it checks what the READMEs say about the packages together (which ones
// export `compose`), and runs the root README's compose example in a server that
// builds a new McpServer per request (scripts/consumers/root-readme/).
//
// Usage: node scripts/test-consumers.mjs [--node /path/to/node ...] [--only name]
// Saves its totals to .reports/runs/consumers.json for scripts/test-summary.mjs --total.
import { execFileSync, spawn } from "node:child_process";
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
import { basename, dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { matchesPrinted, runnableBlocks, typescriptBlocks } from "./consumers/lib/readme.mjs";

const started = performance.now();
const root = new URL("..", import.meta.url).pathname;
const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: { node: { type: "string", multiple: true, default: [] }, only: { type: "string" } },
});
const only = flags.only;
/** Each Node to run on: its binary, version, and a PATH on which `node` and `npx`'s shebang find it. */
const nodes = [process.execPath, ...flags.node].map((binary) => {
  const version = execFileSync(binary, ["--version"], { encoding: "utf8" }).trim();
  return { binary, version, path: `${dirname(binary)}:${process.env.PATH}` };
});
/** A run that has not exited by then hangs: a timer, socket or client left open. */
const runTimeoutMs = 30_000;

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
/** A user's shell: the services' URLs, and no NODE_ENV or npm/pnpm run-script settings. */
const userEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) =>
      key !== "NODE_ENV" &&
      key !== "NODE_OPTIONS" &&
      // npm's network settings (a CA file, a proxy) are the machine's; the rest is pnpm's run-script state.
      (!/^(npm|pnpm)_/i.test(key) ||
        /^npm_config_(cafile|ca|registry|proxy|https_proxy|noproxy|strict_ssl)$/i.test(key)),
  ),
);
// The reader answers yes when `npx tsx` asks to install tsx.
userEnv.npm_config_yes = "true";
const quickStartDatabase = await freshDatabase(process.env.DATABASE_URL);
if (quickStartDatabase) userEnv.DATABASE_URL = quickStartDatabase;

const allowedInTarball = [
  /^dist\//,
  /^bin\//,
  /^README\.md$/,
  /^CHANGELOG\.md$/,
  /^package\.json$/,
  /^LICENSE$/,
];
const results = [];
const rows = [];
const timings = [];

function run(command, args, options = {}) {
  return execFileSync(command, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
    ...options,
  });
}

async function record(name, title, fn) {
  try {
    await fn();
    results.push({ name, title, status: "passed" });
    console.log(`  ✓ ${title}`);
  } catch (error) {
    const detail = [error.message, error.stdout, error.stderr].filter(Boolean).join("\n");
    results.push({ name, title, status: "failed", message: detail });
    console.log(`  ✗ ${title}\n${detail.replace(/^/gm, "      ")}`);
  }
}

/** What the README tells users to install: every word after `npm install` (or `pnpm add`, `yarn add`) on its install lines. */
function readmeInstall(readme) {
  const lines = readme
    .split("\n")
    .filter((text) => /^\s*(npm (install|i)|pnpm add|yarn add) /.test(text));
  return [
    ...new Set(
      lines
        .flatMap((line) => line.trim().split(/\s+/).slice(2))
        .filter((word) => !word.startsWith("-")),
    ),
  ];
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

/** Whether `version` (v22.23.5) is at least `minimum` (22.18). */
function atLeast(version, minimum) {
  const have = version.replace(/^v/, "").split(".").map(Number);
  const want = minimum.split(".").map(Number);
  for (let index = 0; index < want.length; index++) {
    if ((have[index] ?? 0) !== want[index]) return (have[index] ?? 0) > want[index];
  }
  return true;
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
// `npx tsx` fetches tsx once into npm's cache, as on a user's machine; fetched here
// so that the first quick start's time limit does not include the download.
run("npx", ["--yes", "tsx", "--version"], { cwd: toolDir, env: userEnv, timeout: 120_000 });

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
/** Files git tracks in the repository: what a fresh clone holds before any build. */
const tracked = new Set(run("git", ["ls-files"], { cwd: root }).trim().split("\n"));

/**
 * A project as `npm init -y` makes it (CommonJS), with what `words` name
 * installed: @mcp-prod packages from their tarballs, with the @mcp-prod
 * packages they depend on, everything else from the registry.
 */
function makeProject(folder, words) {
  const project = join(workDir, folder);
  mkdirSync(project);
  run("npm", ["init", "-y"], { cwd: project });
  const type = JSON.parse(readFileSync(join(project, "package.json"), "utf8")).type;
  if (type !== undefined && type !== "commonjs")
    throw new Error(`npm init -y wrote "type": ${JSON.stringify(type)}`);
  const sources = words.flatMap((word) => {
    if (word.startsWith("@mcp-prod/") && !workspace.has(word))
      throw new Error(`${word} is no package of this repository`);
    if (!workspace.has(word)) return [word];
    return [pack(word), ...[...siblingsOf(workspace.get(word).manifest)].map(pack)];
  });
  run("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", ...new Set(sources)], {
    cwd: project,
  });
  return project;
}

/** Type-checks `files` of `project` as its user's editor would, under both module resolutions. */
async function typeCheck(name, project, files, what) {
  for (const resolution of ["node16", "bundler"]) {
    await record(name, `${name}: ${what} type-check (moduleResolution ${resolution})`, () => {
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
        JSON.stringify({ compilerOptions, files }, null, 2),
      );
      run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project });
    });
  }
}

/**
 * Runs a README command as its reader types it at a prompt (`NAME=value`
 * assignments, then the program), in `project`, on `node`, and resolves with
 * its output once every process it started has gone, having exited with
 * `exitCode`. With `interruptAfterOutput` it is a server: once it has printed
 * its first line, every process of the job gets SIGINT, as Ctrl-C sends it, and
 * its exit code is not checked (npx reports 130 for an interrupted program
 * whatever the program did): what it prints says how it stopped.
 */
function runCommand(project, node, command, { exitCode, interruptAfterOutput = false }) {
  const words = command.split(/\s+/);
  const assignments = {};
  while (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) {
    const [key, ...value] = words.shift().split("=");
    assignments[key] = value.join("=");
  }
  return new Promise((resolve, reject) => {
    const child = spawn(words[0], words.slice(1), {
      cwd: project,
      env: {
        ...userEnv,
        // A server a README runs listens where SERVER_PORT says: any free port
        // here, where 3000 may be taken by another job.
        ...(interruptAfterOutput ? { SERVER_PORT: "0" } : {}),
        PATH: node.path,
        ...assignments,
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let interrupted = false;
    const output = () => `\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;
    const alive = () => {
      try {
        process.kill(-child.pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + runTimeoutMs;
    const timer = setTimeout(() => {
      if (alive()) process.kill(-child.pid, "SIGKILL");
      reject(new Error(`did not exit within ${runTimeoutMs / 1000} s${output()}`));
    }, runTimeoutMs);
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (interruptAfterOutput && !interrupted && stdout.includes("\n")) {
        interrupted = true;
        process.kill(-child.pid, "SIGINT");
      }
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("close", async (code, signal) => {
      // Every process of the job must be gone, not only the one started.
      while (alive() && Date.now() < deadline) await new Promise((done) => setTimeout(done, 50));
      clearTimeout(timer);
      if (alive()) {
        process.kill(-child.pid, "SIGKILL");
        reject(new Error(`it left processes running after it exited${output()}`));
      } else if (interruptAfterOutput && !interrupted)
        reject(
          new Error(`it exited before printing a line, as a server would when ready${output()}`),
        );
      else if (!interruptAfterOutput && code !== exitCode)
        reject(new Error(`exited with ${code ?? signal}, expected ${exitCode}${output()}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** Runs every block the README tells its reader to run, with each of its commands on every Node. */
async function runBlocks(name, project, blocks) {
  for (const block of blocks) {
    for (const { command, minimumNode, exitCode, interrupt } of block.commands) {
      for (const node of nodes) {
        if (minimumNode !== undefined && !atLeast(node.version, minimumNode)) continue;
        const how = interrupt ? ", stopped with Ctrl-C," : "";
        await record(
          name,
          `${name}: \`${command}\`${how} (README line ${block.line}) on Node ${node.version}`,
          async () => {
            writeFileSync(join(project, block.file), block.code);
            const { stdout, stderr } = await runCommand(project, node, command, {
              exitCode,
              interruptAfterOutput: interrupt,
            });
            if (exitCode !== 0) {
              if (stderr.trim() === "") throw new Error("it failed without a word on stderr");
              return;
            }
            if (stdout.trim() === "") throw new Error(`it printed nothing on stdout\n${stderr}`);
            const lines = stdout.split("\n");
            const missing = block.prints.filter(
              (expected) => !lines.some((line) => matchesPrinted(expected, line)),
            );
            if (missing.length > 0)
              throw new Error(
                `the README says it prints\n${missing.join("\n")}\nbut it printed\n${stdout}`,
              );
            // What a user sees, in the log: the first lines of its output.
            const shown = stdout.trim().split("\n").slice(0, 6);
            console.log(shown.map((line) => `      │ ${line.slice(0, 160)}`).join("\n"));
          },
        );
      }
    }
  }
}

/** What a package exports, loaded in its consumer project: for the checks across READMEs. */
const exportsOf = new Map();

for (const folder of readdirSync(packagesDir).sort()) {
  const dir = join(packagesDir, folder);
  const manifestPath = join(dir, "package.json");
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  if (manifest.private || (only && folder !== only)) continue;
  const name = manifest.name;
  const packageStarted = performance.now();
  console.log(`\n${name}`);
  const readme = readFileSync(join(dir, "README.md"), "utf8");
  let tarball;
  let project;

  await record(
    name,
    `${name}: packs with only dist, bin, README, CHANGELOG, package.json and LICENSE`,
    () => {
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
      const packedManifest = JSON.parse(run("tar", ["xzf", tarball, "-O", "package/package.json"]));
      for (const field of ["dependencies", "peerDependencies"]) {
        for (const [dep, range] of Object.entries(packedManifest[field] ?? {})) {
          if (String(range).startsWith("workspace:"))
            throw new Error(`${field}.${dep} is still ${range}`);
        }
      }
    },
  );
  if (!tarball) continue;

  await record(
    name,
    `${name}: every bin target is committed, so a fresh install links it before a build`,
    () => {
      const bins =
        typeof manifest.bin === "string" ? { [name]: manifest.bin } : (manifest.bin ?? {});
      for (const [command, target] of Object.entries(bins)) {
        const path = join("packages", folder, target).replace(/\/\.\//g, "/");
        if (!tracked.has(path))
          throw new Error(
            `bin ${command} points at ${target}, which git does not track: pnpm install warns "Failed to create bin"`,
          );
      }
    },
  );

  await record(
    name,
    `${name}: engines.node is the repository's, and the README says the same`,
    () => {
      const range = manifest.engines?.node;
      if (range !== rootManifest.engines.node)
        throw new Error(
          `engines.node is ${range}, the repository's is ${rootManifest.engines.node}`,
        );
      const minimum = /^>=(\d+\.\d+)\.0$/.exec(range)?.[1];
      const said = [...readme.matchAll(/\bNode (\d+(?:\.\d+)?) or (newer|later)\b/g)];
      if (said.length === 0) throw new Error(`the README does not say "Node ${minimum} or newer"`);
      for (const [text, version, word] of said) {
        if (version !== minimum || word !== "newer")
          throw new Error(
            `the README says "${text}"; engines.node says ${range} ("Node ${minimum} or newer")`,
          );
      }
    },
  );

  const extras = readmeInstall(readme);
  await record(
    name,
    `${name}: installs into a project made by \`npm init -y\` with what its README names`,
    () => {
      if (!extras.includes(name)) throw new Error(`README has no \`npm install ${name}\` line`);
      project = makeProject(folder, extras);
      const siblings = siblingsOf(manifest);
      const scope = join(project, "node_modules", "@mcp-prod");
      const installed = existsSync(scope)
        ? readdirSync(scope).map((entry) => `@mcp-prod/${entry}`)
        : [];
      // What the README itself asks for (another package for an example) is declared too.
      const declared = new Set([
        ...extras,
        ...extras.flatMap((word) =>
          workspace.has(word) ? [...siblingsOf(workspace.get(word).manifest)] : [],
        ),
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
      rows.push({
        name,
        size,
        footprint,
        extras: extras.filter((word) => word !== name).join(" ") || "—",
      });
    },
  );
  if (!project) continue;

  await record(name, `${name}: published declarations import no optional peer dependency`, () => {
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
    for (const format of ["esm", "cjs"]) {
      await record(
        name,
        `${name}: ${format === "esm" ? "import" : "require"} and a real call on Node ${node.version}`,
        () => {
          if (!existsSync(smoke))
            throw new Error(`no smoke call at scripts/consumers/${folder}.mjs`);
          const load =
            format === "esm"
              ? `await import(${JSON.stringify(name)})`
              : `createRequire(process.cwd() + "/")(${JSON.stringify(name)})`;
          const script = `import { createRequire } from "node:module";\nimport { smoke } from ${JSON.stringify(smoke)};\nconst mod = ${load};\nawait smoke(mod, { format: ${JSON.stringify(format)}, load: (id) => import(id) });\nconsole.log("ok");\n`;
          const output = run(node.binary, ["--input-type=module", "-e", script], {
            cwd: project,
            env: userEnv,
            timeout: 60_000,
          });
          if (!output.trim().endsWith("ok")) throw new Error(`smoke call printed: ${output}`);
        },
      );
    }
  }
  await record(name, `${name}: its exports, for the checks across READMEs`, () => {
    const keys = run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `console.log(JSON.stringify(Object.keys(await import(${JSON.stringify(name)}))))`,
      ],
      { cwd: project, env: userEnv },
    );
    exportsOf.set(folder, new Set(JSON.parse(keys)));
  });

  // Every block the README tells its reader to save and run: the first ```ts block (the quick start) must be one.
  let blocks = [];
  await record(
    name,
    `${name}: README says how to run its quick start, and every block it says to run is found`,
    () => {
      blocks = runnableBlocks(readme);
      const first = typescriptBlocks(readme)[0];
      if (first === undefined) throw new Error("README has no ```ts quick-start block");
      if (!blocks.some((block) => block.line === first.line))
        throw new Error(
          `the quick start (line ${first.line}) is not introduced by "Save it as \`quickstart.mts\` and run it with \`npx tsx quickstart.mts\`"`,
        );
      const unlike = blocks.filter((block) => !block.file.endsWith(".mts"));
      if (unlike.length > 0)
        throw new Error(
          `saved as ${unlike.map((block) => block.file).join(", ")}: name runnable files *.mts, which run as ES modules in any project`,
        );
    },
  );
  if (blocks.length > 0) {
    const files = [...new Set(blocks.map((block) => block.file))];
    const distinct = files.length === blocks.length;
    if (distinct) {
      for (const block of blocks) writeFileSync(join(project, block.file), block.code);
      await typeCheck(name, project, files, `README blocks ${files.join(", ")}`);
    } else {
      // Blocks saved under one name are checked one at a time.
      for (const block of blocks) {
        writeFileSync(join(project, block.file), block.code);
        await typeCheck(name, project, [block.file], `README block at line ${block.line}`);
      }
    }
    await runBlocks(name, project, blocks);
  }
  timings.push({ name, seconds: (performance.now() - packageStarted) / 1000 });
}

// What the READMEs say about the packages together.
if (!only) {
  const name = "READMEs";
  console.log("\nREADMEs together");
  await record(name, "what the READMEs say exports `compose` does", () => {
    const wrappers = [...exportsOf]
      .filter(([, keys]) => [...keys].some((key) => /^with[A-Z]/.test(key)))
      .map(([folder]) => folder);
    const claims = [
      join(root, "README.md"),
      ...[...exportsOf.keys()].map((folder) => join(packagesDir, folder, "README.md")),
    ];
    const problems = [];
    for (const file of claims) {
      const text = readFileSync(file, "utf8");
      for (const [sentence] of text.matchAll(
        /[^.\n]*\bexport(?:s|ed by)\b[^.\n]*`compose`[^.\n]*|[^.\n]*`compose`[^.\n]*\bexported by\b[^.\n]*/g,
      )) {
        const every = /\bevery (mcp-prod )?package\b/i.test(sentence);
        const everyWrapper = /\bevery wrapper package\b/i.test(sentence);
        if (!every && !everyWrapper) continue;
        const claimed = everyWrapper ? wrappers : [...exportsOf.keys()];
        const wrong = claimed.filter((folder) => !exportsOf.get(folder).has("compose"));
        const left = [...exportsOf]
          .filter(([folder, keys]) => keys.has("compose") && !claimed.includes(folder))
          .map(([folder]) => folder);
        if (wrong.length > 0 || left.length > 0)
          problems.push(
            `${file.slice(root.length)}: "${sentence.trim()}", but ${[
              wrong.length > 0 ? `${wrong.join(", ")} export no compose` : "",
              left.length > 0 ? `${left.join(", ")} export it too` : "",
            ]
              .filter(Boolean)
              .join("; ")}`,
          );
      }
    }
    if (problems.length > 0) throw new Error(problems.join("\n"));
  });
}

// The root README's compose example, pasted into a server that builds a new McpServer per request.
if (!only || only === "root-readme") {
  const name = "root README";
  console.log("\nthe root README's compose example, per request");
  const readme = readFileSync(join(root, "README.md"), "utf8");
  let project;
  let harness;
  await record(
    name,
    "the compose example installs with the root README's install line into a project made by `npm init -y`",
    () => {
      const words = readmeInstall(readme);
      if (!words.some((word) => workspace.has(word)))
        throw new Error("the root README has no `npm install @mcp-prod/…` line");
      project = makeProject("root-readme", words);
    },
  );
  await record(name, "the compose example is pasted into a stateless HTTP server", () => {
    const block = typescriptBlocks(readme).find(
      (item) => item.code.includes("compose(") && item.code.includes("server.registerTool("),
    );
    if (!block)
      throw new Error("the root README has no ```ts block with compose( and server.registerTool(");
    const lines = block.code.split("\n");
    const imports = lines.filter((line) => /^import\b/.test(line));
    const perRequestStart = lines.findIndex((line) => line.startsWith("server.registerTool("));
    const once = lines.slice(0, perRequestStart).filter((line) => !/^import\b/.test(line));
    const perRequest = lines.slice(perRequestStart);
    if (imports.length === 0 || perRequestStart < 0)
      throw new Error(
        "expected the block's imports, then what runs once, then server.registerTool(…)",
      );
    harness = readFileSync(join(root, "scripts", "consumers", "root-readme", "harness.mts"), "utf8")
      .replace("/* README: imports */", imports.join("\n"))
      .replace("/* README: once per process */", once.join("\n"))
      .replace("  /* README: per request */", perRequest.map((line) => `  ${line}`).join("\n"));
    writeFileSync(join(project, "compose-per-request.mts"), harness);
  });
  if (project && harness) {
    for (const node of nodes) {
      await record(
        name,
        `the compose example works in a server built per request, on Node ${node.version}`,
        async () => {
          const { stdout, stderr } = await runCommand(
            project,
            node,
            "npx tsx compose-per-request.mts",
            {
              exitCode: 0,
            },
          );
          console.log(
            stdout
              .trim()
              .split("\n")
              .map((line) => `      │ ${line.slice(0, 160)}`)
              .join("\n"),
          );
          if (!/remote address/.test(stderr))
            throw new Error(
              `no warning that the rate limit counts per remote address on stderr:\n${stderr}`,
            );
        },
      );
    }
  }
}

// examples/README's MCP Inspector command, on every Node it says it needs, against a
// stand-in for the gateway that answers only with the gateway's key.
const inspectorNodes = nodes.filter((node) => atLeast(node.version, "22.7.5"));
if ((!only || only === "root-readme") && inspectorNodes.length > 0) {
  const name = "examples README";
  const project = join(workDir, "root-readme");
  const examplesReadme = readFileSync(join(root, "examples", "README.md"), "utf8");
  const block = [...examplesReadme.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((match) => match[1].replace(/\\\n\s*/g, " ").trim())
    .find((code) => code.includes("@modelcontextprotocol/inspector"));
  for (const node of inspectorNodes) {
    await record(
      name,
      `the MCP Inspector command sends the gateway's key on Node ${node.version}`,
      async () => {
        if (!block) throw new Error("examples/README has no ```sh block running the MCP Inspector");
        if (!/inspector@\d+\.\d+\.\d+/.test(block))
          throw new Error(`the Inspector command names no version: ${block}`);
        if (!existsSync(project)) throw new Error("the root README's project was not made");
        writeFileSync(
          join(project, "gateway-stand-in.mts"),
          readFileSync(
            join(root, "scripts", "consumers", "inspector", "gateway-stand-in.mts"),
            "utf8",
          ),
        );
        const standIn = spawn("npx", ["tsx", "gateway-stand-in.mts"], {
          cwd: project,
          env: userEnv,
          stdio: ["ignore", "pipe", "inherit"],
          detached: true,
        });
        try {
          const url = await new Promise((resolve, reject) => {
            let out = "";
            standIn.stdout.on("data", (chunk) => {
              out += chunk;
              const line = /http:\/\/\S+\/mcp/.exec(out);
              if (line) resolve(line[0]);
            });
            standIn.once("exit", (code) => reject(new Error(`the stand-in exited with ${code}`)));
          });
          const command = block.replace("http://127.0.0.1:3000/mcp", url);
          const listed = execFileSync("sh", ["-c", command], {
            cwd: project,
            env: { ...userEnv, PATH: node.path },
            encoding: "utf8",
            timeout: 180_000,
            stdio: ["ignore", "pipe", "pipe"],
          });
          if (!listed.includes("users.search_users"))
            throw new Error(`the Inspector listed no tools through the key:\n${listed}`);
        } finally {
          process.kill(-standIn.pid, "SIGTERM");
        }
      },
    );
  }
}

console.log("\npackage                 packed    install footprint   installed with");
for (const row of rows) {
  const deps = row.footprint === 0 ? "no runtime deps" : `${row.footprint} transitive deps`;
  console.log(
    `${row.name.padEnd(24)}${`${(row.size / 1024).toFixed(1)} kB`.padEnd(10)}${deps.padEnd(20)}${row.extras}`,
  );
}
console.log(
  "\nseconds per package:",
  timings
    .map((timing) => `${timing.name.replace("@mcp-prod/", "")} ${timing.seconds.toFixed(0)}`)
    .join(", "),
);

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
console.log(
  `\nconsumer test: ${passed} passed, ${failed} failed in ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
process.exit(failed > 0 ? 1 : 0);
