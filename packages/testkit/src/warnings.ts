/**
 * The process warnings with `code` emitted while `run` runs (and the turn
 * after, when Node delivers them): for tests of a misuse warned about once.
 *
 * @example
 * ```ts
 * const warnings = await warningsDuring("MCP_PROD_INLINE_BREAKER", () => {
 *   build();
 *   build();
 * });
 * expect(warnings).toHaveLength(1);
 * ```
 */
export async function warningsDuring(
  code: string,
  run: () => unknown,
): Promise<Array<Error & { code?: string }>> {
  const warnings: Array<Error & { code?: string }> = [];
  const listen = (warning: Error & { code?: string }) => {
    if (warning.code === code) warnings.push(warning);
  };
  process.on("warning", listen);
  try {
    await run();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", listen);
  }
  return warnings;
}
