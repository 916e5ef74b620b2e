// The part of `kubectl kustomize` the manifests in deploy/k8s use, so the tests
// read what `kubectl apply -k` would apply on a machine without kubectl:
// `resources` (files and directories), `namePrefix` and RFC 6902 `patches`
// targeted by kind. Anything else in a kustomization.yaml is refused rather
// than ignored, so the tests never check a rendering that differs from kubectl's.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parse, parseAllDocuments } from "yaml";

export type Manifest = {
  kind: string;
  metadata: { name: string } & Record<string, unknown>;
} & Record<string, unknown>;

type Operation =
  | { op: "add" | "replace" | "test"; path: string; value: unknown }
  | { op: "remove"; path: string };

type Kustomization = {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  namePrefix?: string;
  patches?: { target: { kind: string }; patch: string }[];
};

const known = new Set(["apiVersion", "kind", "resources", "namePrefix", "patches"]);

/** The manifests `kubectl kustomize <dir>` prints, in the order their resources list them. */
export function kustomize(dir: string): Manifest[] {
  const kustomization = parse(
    readFileSync(join(dir, "kustomization.yaml"), "utf8"),
  ) as Kustomization;
  for (const key of Object.keys(kustomization))
    if (!known.has(key)) throw new Error(`${dir}: kustomize field ${key} is not rendered here`);
  const manifests = (kustomization.resources ?? []).flatMap((resource) => {
    const path = join(dir, resource);
    if (statSync(path).isDirectory()) return kustomize(path);
    return parseAllDocuments(readFileSync(path, "utf8")).map(
      (document) => document.toJSON() as Manifest,
    );
  });
  for (const { target, patch } of kustomization.patches ?? []) {
    if (Object.keys(target).join() !== "kind")
      throw new Error(`${dir}: patch targets are matched by kind only here`);
    const targets = manifests.filter((manifest) => manifest.kind === target.kind);
    if (targets.length === 0) throw new Error(`${dir}: no ${target.kind} to patch`);
    for (const manifest of targets)
      for (const operation of parse(patch) as Operation[]) apply(manifest, operation);
  }
  const prefix = kustomization.namePrefix ?? "";
  for (const manifest of manifests) manifest.metadata.name = `${prefix}${manifest.metadata.name}`;
  return manifests;
}

/** One RFC 6902 operation, in place. */
function apply(document: unknown, operation: Operation): void {
  if (!["add", "remove", "replace", "test"].includes(operation.op))
    throw new Error(`${operation.path}: op ${operation.op} is not rendered here`);
  const keys = operation.path
    .split("/")
    .slice(1)
    .map((key) => key.replaceAll("~1", "/").replaceAll("~0", "~"));
  const last = keys.pop();
  if (last === undefined) throw new Error(`cannot ${operation.op} the whole document`);
  let parent = document as Record<string, unknown>;
  for (const key of keys) {
    parent = parent[key] as Record<string, unknown>;
    if (parent === null || typeof parent !== "object")
      throw new Error(`${operation.path}: ${key} does not exist`);
  }
  const exists = Array.isArray(parent) ? Number(last) < parent.length : last in parent;
  if (operation.op === "add") {
    if (Array.isArray(parent))
      parent.splice(last === "-" ? parent.length : Number(last), 0, operation.value);
    else parent[last] = operation.value;
    return;
  }
  if (!exists) throw new Error(`${operation.path} does not exist`);
  if (operation.op === "test") {
    if (!isDeepStrictEqual(parent[last], operation.value))
      throw new Error(`${operation.path} is ${JSON.stringify(parent[last])}`);
  } else if (operation.op === "replace") parent[last] = operation.value;
  else if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete parent[last];
}
