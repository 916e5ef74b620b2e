import { describeValue, redactSecrets } from "@mcp-prod/internal";
import pg from "pg";

const CONNECTION_PROTOCOLS = new Set(["postgres:", "postgresql:", "socket:"]);

/**
 * pg parses the string only when it connects; parse it now so a typo fails at
 * start-up, with the password never in the message.
 */
export function assertConnectionString(connectionString: string): void {
  let problem: string | undefined;
  let cause: unknown;
  // A string starting with "/" is a Unix socket directory (pg's shorthand).
  if (!connectionString.startsWith("/")) {
    try {
      const url = new URL(connectionString);
      if (!CONNECTION_PROTOCOLS.has(url.protocol))
        problem = `its scheme is "${url.protocol.slice(0, -1)}", not postgres or postgresql`;
      else new pg.Client({ connectionString });
    } catch (error) {
      cause = error;
      problem = "it is not a valid URL";
    }
  }
  if (problem === undefined) return;
  throw new TypeError(
    `Expected \`connectionString\` to be a PostgreSQL connection string (postgres://user:password@host:5432/database), got ${describeValue(shownConnectionString(connectionString))}: ${problem}`,
    cause === undefined ? undefined : { cause: new Error(redactSecrets(String(cause))) },
  );
}

/** The string as an error may show it: a password is masked even where the string is no URL. */
function shownConnectionString(value: string): string {
  const redacted = redactSecrets(value);
  const at = redacted.lastIndexOf("@");
  if (at === -1) return redacted;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(redacted)?.[0] ?? "";
  const userinfo = redacted.slice(scheme.length, at);
  const colon = userinfo.indexOf(":");
  if (colon === -1 || userinfo.slice(colon + 1) === "***") return redacted;
  return `${scheme}${userinfo.slice(0, colon)}:***${redacted.slice(at)}`;
}

export function hideProperty(target: object, key: string): void {
  if (Object.hasOwn(target, key)) Object.defineProperty(target, key, { enumerable: false });
}
