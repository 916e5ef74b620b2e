// The lockfile serves every platform the project builds on. For each target
// below, the workspace's manifests and lockfile are copied to a temporary
// directory whose pnpm-workspace.yaml names only that platform (what pnpm
// sees on such a machine), and `pnpm install --frozen-lockfile --offline`
// runs there: it must succeed from the lockfile alone, install the native
// packages the build needs (esbuild, rollup, biome, turbo) for that platform,
// and none of this machine's glibc builds.
//   node scripts/check-platform-install.mjs [musl|darwin|win32|…]  (targets whose name contains it)
// Needs the store filled by a `pnpm install` in the repository (as CI does
// first). Saves its totals to .reports/runs/platforms.json for
// scripts/test-summary.mjs --total.
import { execFileSync } from "node:child_process";
import {
  cpSync,
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

/** Directory names under node_modules/.pnpm, without the version. */
const targets = [
  {
    name: "linux x64 musl (node:alpine images)",
    platform: { os: "linux", cpu: "x64", libc: "musl" },
    present: [
      "@esbuild+linux-x64",
      "@rollup+rollup-linux-x64-musl",
      "@biomejs+cli-linux-x64-musl",
      "@turbo+linux-64",
    ],
    absent: ["@rollup+rollup-linux-x64-gnu", "@biomejs+cli-linux-x64@"],
  },
  {
    name: "linux arm64 musl",
    platform: { os: "linux", cpu: "arm64", libc: "musl" },
    present: [
      "@esbuild+linux-arm64",
      "@rollup+rollup-linux-arm64-musl",
      "@biomejs+cli-linux-arm64-musl",
      "@turbo+linux-arm64",
    ],
    absent: ["@rollup+rollup-linux-arm64-gnu"],
  },
  {
    name: "darwin arm64 (Apple silicon)",
    platform: { os: "darwin", cpu: "arm64" },
    present: [
      "@esbuild+darwin-arm64",
      "@rollup+rollup-darwin-arm64",
      "@biomejs+cli-darwin-arm64",
      "@turbo+darwin-arm64",
    ],
    absent: ["@rollup+rollup-linux-x64-gnu"],
  },
  {
    name: "darwin x64",
    platform: { os: "darwin", cpu: "x64" },
    present: [
      "@esbuild+darwin-x64",
      "@rollup+rollup-darwin-x64",
      "@biomejs+cli-darwin-x64",
      "@turbo+darwin-64",
    ],
    absent: [],
  },
  {
    name: "win32 x64",
    platform: { os: "win32", cpu: "x64" },
    present: [
      "@esbuild+win32-x64",
      "@rollup+rollup-win32-x64-msvc",
      "@biomejs+cli-win32-x64",
      "@turbo+windows-64",
    ],
    absent: [],
  },
];

/** The workspace's manifests and lockfile, nothing else: what `pnpm install` reads. */
function copyManifests(into) {
  for (const file of ["package.json", "pnpm-lock.yaml", ".npmrc"]) {
    if (existsSync(join(root, file))) cpSync(join(root, file), join(into, file));
  }
  // packages/*, examples/* and deploy, as pnpm-workspace.yaml lists them.
  const places = ["packages", "examples"].flatMap((group) =>
    readdirSync(join(root, group)).map((name) => join(group, name)),
  );
  for (const where of [...places, "deploy"]) {
    const manifest = join(root, where, "package.json");
    if (!existsSync(manifest)) continue;
    mkdirSync(join(into, where), { recursive: true });
    cpSync(manifest, join(into, where, "package.json"));
  }
}

/** pnpm-workspace.yaml with supportedArchitectures narrowed to one platform. */
function workspaceFor(platform) {
  const text = readFileSync(join(root, "pnpm-workspace.yaml"), "utf8");
  const start = text.indexOf("supportedArchitectures:");
  if (start === -1) throw new Error("pnpm-workspace.yaml has no supportedArchitectures");
  const rest = text.slice(start).split("\n");
  const end = rest.findIndex((line, index) => index > 0 && !/^\s/.test(line));
  const narrowed = [
    "supportedArchitectures:",
    ...Object.entries(platform).map(([key, value]) => `  ${key}: [${value}]`),
  ];
  return [
    text.slice(0, start),
    narrowed.join("\n"),
    "\n",
    end === -1 ? "" : rest.slice(end).join("\n"),
  ].join("");
}

const only = process.argv[2];
const results = [];
for (const target of targets.filter(({ name }) => !only || name.includes(only))) {
  const dir = mkdtempSync(join(tmpdir(), "mcp-prod-platform-"));
  try {
    copyManifests(dir);
    writeFileSync(join(dir, "pnpm-workspace.yaml"), workspaceFor(target.platform));
    execFileSync(
      "pnpm",
      ["install", "--frozen-lockfile", "--offline", "--ignore-scripts", "--reporter=silent"],
      { cwd: dir, stdio: ["ignore", "ignore", "pipe"], timeout: 180_000 },
    );
    const installed = readdirSync(join(dir, "node_modules", ".pnpm"));
    const has = (prefix) =>
      installed.some((entry) =>
        prefix.endsWith("@") ? entry.startsWith(prefix) : entry.startsWith(`${prefix}@`),
      );
    const missing = target.present.filter((prefix) => !has(prefix));
    const unexpected = target.absent.filter((prefix) => has(prefix));
    if (missing.length > 0 || unexpected.length > 0) {
      throw new Error(
        `${missing.length ? `missing ${missing.join(", ")}` : ""}${
          unexpected.length ? ` unexpected ${unexpected.join(", ")}` : ""
        }`,
      );
    }
    results.push(true);
    console.log(`  ✓ ${target.name}: ${target.present.join(", ")}`);
  } catch (error) {
    results.push(false);
    const detail = error.stderr?.toString().trim() || error.message;
    console.log(`  ✗ ${target.name}: ${detail}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const passed = results.filter(Boolean).length;
const failed = results.length - passed;
mkdirSync(join(root, ".reports", "runs"), { recursive: true });
writeFileSync(
  join(root, ".reports", "runs", "platforms.json"),
  JSON.stringify({ passed, failed, skipped: 0 }),
);
console.log(`\nplatform install check: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
