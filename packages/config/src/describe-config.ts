import { describeValue } from "@mcp-prod/internal";
import { configRecord, REDACTED } from "./config-object.ts";
import type { ValueSource } from "./environment.ts";

function describeSource(source: ValueSource): string {
  switch (source.kind) {
    case "env":
      return "env";
    case "file":
      return `file ${source.file}`;
    case "default":
      return source.dev ? "default (dev)" : "default";
    case "unset":
      return "unset";
  }
}

function describeLoadedValue(value: unknown, secret: boolean): string {
  if (secret) return REDACTED;
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  if (typeof value === "bigint") return `${value}n`;
  return JSON.stringify(value) ?? describeValue(value);
}

/**
 * A printable table of every variable behind a config (or behind one nested
 * object of it): variable, source (`env`, `file <path>`, `default`,
 * `default (dev)`, `unset`) and value, secrets shown as `[redacted]`. Made for
 * the start-up log, so an operator sees what the server actually runs with.
 *
 * @throws {TypeError} when `config` was not returned by `loadConfig`.
 * @example
 * ```ts
 * const config = loadConfig(shape);
 * logger.info(`configuration:\n${describeConfig(config)}`);
 * // variable             source                   value
 * // SERVER_PORT          env                      8080
 * // OAUTH_CLIENT_SECRET  file /run/secrets/oauth  [redacted]
 * ```
 */
export function describeConfig(config: object): string {
  const record = configRecord(config);
  if (record === undefined)
    throw new TypeError(
      `Expected \`config\` to be a config returned by loadConfig(), got ${describeValue(config)}`,
    );
  const rows = [
    ["variable", "source", "value"],
    ...record.entries.map((entry) => [
      entry.variable,
      describeSource(entry.source),
      describeLoadedValue(entry.value, entry.secret),
    ]),
  ];
  const widths = [0, 1].map((column) =>
    Math.max(...rows.map((row) => (row[column] as string).length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column < 2 ? cell.padEnd((widths[column] as number) + 2) : cell))
        .join("")
        .trimEnd(),
    )
    .join("\n");
}
