import { assertPositiveInteger } from "@mcp-prod/internal";

/** The rolling-percentage options that `consecutiveFailures` replaces. */
const PERCENTAGE_OPTIONS = [
  "errorThresholdPercentage",
  "volumeThreshold",
  "slowCallMs",
  "slowCallPercentage",
] as const;

/**
 * Reads and checks the `consecutiveFailures` option: 0 when absent (the
 * rolling-percentage rule decides). Given together with an option of the
 * percentage rule it throws, since one of the two would be silently ignored.
 */
export function readConsecutiveFailures(options: object | undefined): number {
  const settings = options as { consecutiveFailures?: unknown } | undefined;
  const limit = settings?.consecutiveFailures;
  if (limit === undefined) return 0;
  assertPositiveInteger(limit, "consecutiveFailures");
  const clash = PERCENTAGE_OPTIONS.find(
    (name) => (settings as Record<string, unknown>)[name] !== undefined,
  );
  if (clash !== undefined) {
    throw new TypeError(
      `Expected either \`consecutiveFailures\` or \`${clash}\`, got both: \`consecutiveFailures\` opens after that many failures in a row and replaces the rolling-percentage rule that \`${clash}\` configures`,
    );
  }
  return limit as number;
}
