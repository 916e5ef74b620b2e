/** Label values outside a known set are reported as this, so a typo or a bug cannot grow a series per value. */
export const OTHER_LABEL = "other";

/** `value` when it is one of `allowed`, `"other"` otherwise. */
export function knownLabel(value: unknown, allowed: ReadonlySet<string>): string {
  return typeof value === "string" && allowed.has(value) ? value : OTHER_LABEL;
}

const IDENTIFIER = /^[A-Za-z][\w.-]{0,31}$/;

/**
 * A label for values a package names in code (a cache operation, say): short
 * identifiers are kept up to `limit` distinct ones, anything else, or anything
 * past the limit, becomes `"other"`. Keys, messages and user input never fit.
 */
export function boundedLabel(limit: number): (value: unknown) => string {
  const seen = new Set<string>();
  return (value) => {
    if (typeof value !== "string" || !IDENTIFIER.test(value)) return OTHER_LABEL;
    if (seen.has(value)) return value;
    if (seen.size >= limit) return OTHER_LABEL;
    seen.add(value);
    return value;
  };
}
