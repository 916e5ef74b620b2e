/**
 * A URL safe for a log line: its password and the values of its query and
 * fragment replaced by `***` (backend URLs carry tokens in either).
 *
 * @example
 * ```ts
 * redactUrl("http://app:hunter2@10.0.0.7:3001/mcp?token=abc");
 * // "http://app:***@10.0.0.7:3001/mcp?token=***"
 * ```
 */
export function redactUrl(text: string): string {
  if (!URL.canParse(text)) return "(not a URL)";
  const url = new URL(text);
  if (url.password) url.password = "***";
  for (const key of [...url.searchParams.keys()]) url.searchParams.set(key, "***");
  if (url.hash) url.hash = "***";
  // The searchParams encoder writes *** as %2A%2A%2A.
  return url.href.replaceAll("%2A%2A%2A", "***");
}
