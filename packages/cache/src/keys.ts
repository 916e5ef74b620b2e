import { createHash } from "node:crypto";

/**
 * Keys longer than `maxKeyLength` are stored as their first characters plus a
 * SHA-256 digest: bounded in Redis, still distinct, and still matched by
 * `clear({ prefix })` for any prefix shorter than the kept head.
 */
export function normalizeKey(key: string, maxKeyLength: number): string {
  if (key.length <= maxKeyLength) return key;
  const head = key.slice(0, Math.max(0, maxKeyLength - 65));
  return `${head}#${createHash("sha256").update(key).digest("hex")}`;
}

/** Escapes Redis glob characters so a user prefix matches literally in SCAN MATCH. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
