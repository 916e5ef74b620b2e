import type { Attributes } from "@mcp-prod/internal";

/** The `_meta` keys under which mcp-prod's wrappers mark the results they shaped. */
const META_PREFIX = "mcp-prod/";

/**
 * True when a wrapper answered in a degraded way: `withFallback` marks the
 * result it served with `_meta["mcp-prod/fallback"].degraded = true`. Read
 * structurally, so telemetry never imports the fallback package.
 *
 * @example
 * ```ts
 * isDegraded({ content: [], _meta: { "mcp-prod/fallback": { degraded: true, reason: "timeout" } } }); // true
 * ```
 */
export function isDegraded(result: unknown): boolean {
  const meta = resultMetaOf(result);
  if (!meta) return false;
  for (const key in meta) {
    if (!key.startsWith(META_PREFIX)) continue;
    const value = meta[key] as { degraded?: unknown } | null;
    if (typeof value === "object" && value?.degraded === true) return true;
  }
  return false;
}

/**
 * The outcomes mcp-prod's wrappers recorded in a result's `_meta` as span
 * attributes: `_meta["mcp-prod/cache"] = { hit: true, source: "l2" }` becomes
 * `mcp_prod.cache.hit = true` and `mcp_prod.cache.source = "l2"`. Only string,
 * number and boolean fields are kept; `undefined` when there are none.
 */
export function outcomeAttributes(result: unknown): Attributes | undefined {
  const meta = resultMetaOf(result);
  if (!meta) return undefined;
  let attributes: Record<string, string | number | boolean> | undefined;
  for (const key in meta) {
    if (!key.startsWith(META_PREFIX)) continue;
    const value = meta[key];
    if (typeof value !== "object" || value === null) continue;
    const prefix = `mcp_prod.${key.slice(META_PREFIX.length)}.`;
    for (const [field, fieldValue] of Object.entries(value)) {
      if (
        typeof fieldValue === "string" ||
        typeof fieldValue === "boolean" ||
        (typeof fieldValue === "number" && Number.isFinite(fieldValue))
      ) {
        attributes ??= {};
        attributes[prefix + snakeCase(field)] = fieldValue;
      }
    }
  }
  return attributes;
}

function resultMetaOf(result: unknown): Record<string, unknown> | undefined {
  if (typeof result !== "object" || result === null) return undefined;
  const meta = (result as { _meta?: unknown })._meta;
  return typeof meta === "object" && meta !== null ? (meta as Record<string, unknown>) : undefined;
}

/** `retryAfterMs` → `retry_after_ms`, the attribute naming OpenTelemetry uses. */
function snakeCase(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
