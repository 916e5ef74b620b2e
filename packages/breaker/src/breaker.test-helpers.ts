// This package's own test helpers; the shared ones (in-memory pairs, deferred) are testkit's.

/** The text of a tool result's first content block. */
export function textOf(result: unknown): string | undefined {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content;
  return content?.[0]?.text;
}
