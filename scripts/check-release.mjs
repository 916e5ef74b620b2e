// The release path, end to end, without publishing anything:
//   1. `changeset version` on a throwaway clone bumps exactly the packages the
//      pending changesets name, writes their changelogs, and leaves the
//      private examples and helpers alone;
//   2. `pnpm publish -r --dry-run` succeeds for every public package.
// Saves its totals to .reports/runs/release.json for scripts/test-summary.mjs --total.
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const changesetBin = join(root, "node_modules", "@changesets", "cli", "bin.js");
const results = [];

function record(title, fn) {
  try {
    fn();
    results.push(true);
    console.log(`  ✓ ${title}`);
  } catch (error) {
    results.push(false);
    console.log(
      `  ✗ ${title}\n${[error.message, error.stdout, error.stderr].filter(Boolean).join("\n").replace(/^/gm, "      ")}`,
    );
  }
}

const run = (command, args, cwd) =>
  execFileSync(command, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });

/** packages/*, examples/* and deploy, as pnpm-workspace.yaml lists them. */
function workspacePackages(base) {
  const places = ["packages", "examples"].flatMap((group) =>
    readdirSync(join(base, group)).map((name) => join(base, group, name)),
  );
  return [...places, join(base, "deploy")]
    .filter((dir) => existsSync(join(dir, "package.json")))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) }));
}

/** The bump each package gets from the pending changesets (the highest one named). */
function pendingBumps(base) {
  const order = ["patch", "minor", "major"];
  const bumps = new Map();
  const dir = join(base, ".changeset");
  for (const file of readdirSync(dir).filter(
    (name) => name.endsWith(".md") && name !== "README.md",
  )) {
    const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(join(dir, file), "utf8"))?.[1] ?? "";
    for (const line of front.split("\n")) {
      const match = /^["']?([^"':]+)["']?\s*:\s*(patch|minor|major)\s*$/.exec(line.trim());
      if (!match) continue;
      const [, name, bump] = match;
      if (order.indexOf(bump) > order.indexOf(bumps.get(name) ?? "patch") || !bumps.has(name))
        bumps.set(name, bump);
    }
  }
  return bumps;
}

function bumped(version, bump) {
  const [major, minor, patch] = version.split(".").map(Number);
  if (bump === "major") return `${major + 1}.0.0`;
  if (bump === "minor") return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

console.log("\nrelease: changeset version on a throwaway clone");
const copy = mkdtempSync(join(tmpdir(), "mcp-prod-release-"));
try {
  run("git", ["clone", "-q", "--no-hardlinks", root, copy], root);
  const before = workspacePackages(copy);
  const bumps = pendingBumps(copy);
  record("pending changesets name only public workspace packages", () => {
    if (bumps.size === 0) throw new Error("no pending changesets");
    const publicNames = new Set(
      before.filter((entry) => !entry.manifest.private).map((entry) => entry.manifest.name),
    );
    const stray = [...bumps.keys()].filter((name) => !publicNames.has(name));
    if (stray.length > 0) throw new Error(`changesets name ${stray.join(", ")}`);
  });
  run(process.execPath, [changesetBin, "version"], copy);
  const after = new Map(workspacePackages(copy).map((entry) => [entry.manifest.name, entry]));
  for (const entry of before) {
    const { name, version } = entry.manifest;
    const now = after.get(name);
    if (entry.manifest.private) {
      record(`${name} (private) keeps version ${version} and gets no changelog`, () => {
        if (now.manifest.version !== version)
          throw new Error(`version became ${now.manifest.version}`);
        if (existsSync(join(now.dir, "CHANGELOG.md")))
          throw new Error("a CHANGELOG.md was written");
      });
      continue;
    }
    const bump = bumps.get(name);
    const expected = bump ? bumped(version, bump) : version;
    record(
      `${name}: ${version} → ${expected}${bump ? ` (${bump}) with a changelog entry` : " (no changeset)"}`,
      () => {
        if (now.manifest.version !== expected)
          throw new Error(`version is ${now.manifest.version}`);
        if (!bump) return;
        const changelog = readFileSync(join(now.dir, "CHANGELOG.md"), "utf8");
        if (!changelog.includes(`## ${expected}`))
          throw new Error(`CHANGELOG.md has no "## ${expected}" section`);
        // A user reads the changelog: it names the pattern, never a document they have not seen.
        const internal = /\bthe seed\b|\bseed's\b/i.exec(changelog);
        if (internal) throw new Error(`CHANGELOG.md says "${internal[0]}"`);
      },
    );
  }
  record("the consumed changesets are removed", () => {
    const left = readdirSync(join(copy, ".changeset")).filter(
      (name) => name.endsWith(".md") && name !== "README.md",
    );
    if (left.length > 0) throw new Error(`left: ${left.join(", ")}`);
  });
} finally {
  rmSync(copy, { recursive: true, force: true });
}

console.log("\nrelease: pnpm publish -r --dry-run");
record("every public package publishes (dry run)", () => {
  const output = run("pnpm", ["publish", "-r", "--dry-run", "--no-git-checks"], root);
  const published = [...output.matchAll(/^\+ (@mcp-prod\/[a-z-]+)@/gm)]
    .map((match) => match[1])
    .sort();
  const expected = workspacePackages(root)
    .filter((entry) => !entry.manifest.private)
    .map((entry) => entry.manifest.name)
    .sort();
  if (published.join() !== expected.join())
    throw new Error(`published ${published.join(", ")}; expected ${expected.join(", ")}`);
});

const passed = results.filter(Boolean).length;
const failed = results.length - passed;
mkdirSync(join(root, ".reports", "runs"), { recursive: true });
writeFileSync(
  join(root, ".reports", "runs", "release.json"),
  JSON.stringify({ passed, failed, skipped: 0 }),
);
console.log(`\nrelease check: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
