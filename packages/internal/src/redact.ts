/**
 * Strips credentials from a message before it leaves the process: in an
 * error, a log line, a health response (a probe endpoint is usually
 * unauthenticated), or `toString()`. Driver errors happily quote connection
 * strings.
 */
const patterns: ReadonlyArray<readonly [RegExp, string]> = [
  // scheme://user:password@host → scheme://user:***@host
  [/([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*):[^@/?#\s]*@/gi, "$1:***@"],
  // Authorization: Bearer xyz / Basic xyz
  [/\b(bearer|basic)\s+[a-z0-9._~+/=-]+/gi, "$1 ***"],
  // password=..., token: ..., api_key=..., secret=...
  [
    /\b(pass(?:word|wd)?|pwd|token|secret|api[-_]?key|access[-_]?key|auth|credentials?)(["']?\s*[=:]\s*["']?)[^\s"'&;,]+/gi,
    "$1$2***",
  ],
];

/**
 * Returns `message` with passwords in URLs, bearer tokens and `key=value`
 * secrets replaced by `***`.
 *
 * @example
 * ```ts
 * redactSecrets("connect ECONNREFUSED postgres://app:hunter2@db:5432/app");
 * // "connect ECONNREFUSED postgres://app:***@db:5432/app"
 * ```
 */
export function redactSecrets(message: string): string {
  let result = message;
  for (const [pattern, replacement] of patterns) result = result.replace(pattern, replacement);
  return result;
}

/**
 * What an error says, for a message, a log line or a health response: its
 * `message` (or the thrown value as a string), with {@link redactSecrets}
 * applied. The one way the toolkit quotes an error it did not raise.
 *
 * @example
 * ```ts
 * throw new FallbackError(`the last attempt failed with: ${describeError(cause)}`);
 * ```
 */
export function describeError(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}
