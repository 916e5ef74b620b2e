/**
 * Cross-copy error detection. `instanceof` fails when two copies of a package
 * are installed (a dependency pins another version), so every mcp-prod error
 * carries a `Symbol.for("mcp-prod.error.<Name>")` marker that any copy can
 * check.
 */
export function markError(error: Error, name: string): void {
  Object.defineProperty(error, Symbol.for(`mcp-prod.error.${name}`), {
    value: true,
    enumerable: false,
  });
}

export function hasMarker(error: unknown, name: string): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as Record<symbol, unknown>)[Symbol.for(`mcp-prod.error.${name}`)] === true
  );
}
