export { connectInMemory as connect, connectInMemory2 as connect2 } from "@mcp-prod/testkit";

/** The text of a tool result's first content block. */
export function textOf(result: unknown): string | undefined {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content;
  return content?.[0]?.text;
}
