import { defineError, McpProdError } from "@mcp-prod/internal";

/**
 * One problem found while loading the configuration.
 *
 * @example
 * ```ts
 * const issue: ConfigIssue = { variable: "SERVER_PORT", path: "server.port", message: "Too big: expected number to be <=65535" };
 * ```
 */
export type ConfigIssue = {
  /** The environment variable at fault (`SERVER_PORT`), or `""` for a problem with an env file itself. */
  readonly variable: string;
  /** Where the value sits in the config (`server.port`), or `""` when no declared value is concerned. */
  readonly path: string;
  /** What is wrong. Never contains the value of a secret. */
  readonly message: string;
};

function formatIssue(issue: ConfigIssue): string {
  if (issue.variable === "") return `  - ${issue.message}`;
  const where = issue.path === "" ? "" : ` (${issue.path})`;
  return `  - ${issue.variable}${where}: ${issue.message}`;
}

/**
 * Every problem with the configuration, reported at once. Its message lists
 * each variable by name with what is wrong; `issues` holds the same list as
 * data. A secret's value never appears in either.
 *
 * @example
 * ```ts
 * try {
 *   loadConfig(shape);
 * } catch (error) {
 *   if (ConfigError.isInstance(error)) for (const issue of error.issues) report(issue.variable);
 *   else throw error;
 * }
 * ```
 */
export class ConfigError extends McpProdError<"ECONFIG"> {
  override readonly name = "ConfigError" as const;
  /** Every problem found, in the order of the shape. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: ErrorOptions) {
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super(
      "ECONFIG",
      `Invalid configuration (${count}):\n${issues.map(formatIssue).join("\n")}`,
      options,
    );
    this.issues = Object.freeze(issues.map((issue) => Object.freeze({ ...issue })));
  }

  static {
    defineError(ConfigError, "config", "ConfigError", "ConfigError");
  }
}
