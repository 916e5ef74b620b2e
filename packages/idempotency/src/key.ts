import { createHash } from "node:crypto";

/** JSON with object keys sorted at every depth: equal arguments give equal text, whatever their key order. */
export function canonicalJson(value: unknown): string {
  return (
    JSON.stringify(value, (_key, item: unknown) => {
      if (typeof item !== "object" || item === null || Array.isArray(item)) return item;
      const sorted: Record<string, unknown> = {};
      for (const name of Object.keys(item).sort())
        sorted[name] = (item as Record<string, unknown>)[name];
      return sorted;
    }) ?? "null"
  );
}

/** The hex sha256 of `parts`, each ended by a NUL so that no two lists of parts collide. */
export function digest(...parts: readonly string[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("hex");
}
