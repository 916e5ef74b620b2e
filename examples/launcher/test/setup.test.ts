// The README's way out when corepack fails: after `corepack enable` has put its
// `pnpm` link in Node's bin folder, the command the README gives must still
// install pnpm 10 with npm. Run in a folder of its own that stands for Node's
// prefix, so nothing of this machine's own npm or pnpm is touched.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..", "..");
const run = promisify(execFile);
const readme = readFileSync(join(root, "README.md"), "utf8");

describe("the README's setup", () => {
  const prefix = mkdtempSync(join(tmpdir(), "mcp-prod-setup-"));
  afterAll(() => rmSync(prefix, { recursive: true, force: true }));

  it("names the error users see when corepack fails, and its fallback installs pnpm 10 after a failed `corepack enable`", {
    timeout: 180_000,
  }, async () => {
    const tryIt = readme.slice(readme.indexOf("## Try it"), readme.indexOf("## Test it"));
    expect(tryIt).toContain("No compatible signature found in package metadata");
    // The fallback: the shell block after the one that starts with `corepack enable`.
    const blocks = [...tryIt.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]?.trim());
    expect(blocks[0]).toMatch(/^corepack enable\b/);
    const fallback = blocks[1] ?? "";
    expect(fallback).toMatch(/npm install -g pnpm@10/);
    // The part that repairs pnpm; `pnpm install && pnpm start` is the stack test's.
    const repair = fallback.slice(0, fallback.indexOf(" && pnpm install"));

    // Node's prefix as a fresh install has it: npm's global folder, with corepack in its
    // bin. npm's own settings (its registry, its CA file) stay this machine's.
    const env = {
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          ([key]) => !/^(npm_(lifecycle|package)_|npm_config_(prefix|global)|COREPACK_)/i.test(key),
        ),
      ),
      npm_config_prefix: prefix,
      npm_config_audit: "false",
      npm_config_fund: "false",
      COREPACK_HOME: join(prefix, "corepack-home"),
      PATH: `${join(prefix, "bin")}:${process.env.PATH}`,
    };
    await run("npm", ["install", "-g", "corepack"], { env });
    // What `corepack enable` leaves behind even when pnpm then fails to download.
    await run(join(prefix, "bin", "corepack"), ["enable"], { env, cwd: prefix });

    await run("sh", ["-c", repair], { env, cwd: prefix });
    const { stdout } = await run(join(prefix, "bin", "pnpm"), ["--version"], { env, cwd: prefix });
    expect(stdout.trim()).toMatch(/^10\./);
  });
});
