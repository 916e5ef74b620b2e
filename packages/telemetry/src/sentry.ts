import { assertBoolean, assertKnownKeys, assertOptions, optionKeys } from "@mcp-prod/internal";
import type { ErrorReporter } from "./error-reporter.ts";

/**
 * The part of `@sentry/node` the reporter uses: pass the module itself
 * (`import * as Sentry from "@sentry/node"`). Telemetry never imports Sentry,
 * so servers without it do not load it.
 *
 * @example
 * ```ts
 * import * as Sentry from "@sentry/node";
 * const onError = sentryReporter(Sentry);
 * ```
 */
export type SentryLike = {
  captureException(
    exception: unknown,
    hint?: { tags?: { [key: string]: string }; extra?: { [key: string]: unknown } },
  ): unknown;
};

/**
 * Options of {@link sentryReporter}.
 *
 * @example
 * ```ts
 * sentryReporter(Sentry, { includeArgs: true, tags: { region: "eu-west-1" } });
 * ```
 */
export type SentryReporterOptions = {
  /**
   * Send the call's arguments as `extra.args`. Off by default: arguments may
   * hold personal data or secrets that Sentry would store.
   * @default false
   */
  readonly includeArgs?: boolean;
  /**
   * Tags added to every event, besides `tool` and `service`.
   * @default {}
   */
  readonly tags?: Readonly<Record<string, string>>;
};

const SENTRY_KEYS = optionKeys<SentryReporterOptions>({ includeArgs: true, tags: true });

/**
 * An `onError` reporter that sends each thrown tool error to Sentry, tagged
 * with the tool and the service, with the request id as extra.
 *
 * @example
 * ```ts
 * import * as Sentry from "@sentry/node";
 * import { createTelemetry, sentryReporter } from "@mcp-prod/telemetry";
 *
 * Sentry.init({ dsn: process.env.SENTRY_DSN, environment: process.env.NODE_ENV });
 * const telemetry = createTelemetry({ serviceName: "analytics-mcp", onError: sentryReporter(Sentry) });
 * ```
 */
export function sentryReporter(
  sentry: SentryLike,
  options: SentryReporterOptions = {},
): ErrorReporter {
  if (typeof sentry?.captureException !== "function")
    throw new TypeError("Expected `sentry` to be the @sentry/node module (with captureException)");
  assertOptions(options);
  assertKnownKeys(options, SENTRY_KEYS, "sentryReporter()");
  const { includeArgs = false, tags = {} } = options;
  assertBoolean(includeArgs, "includeArgs");
  assertOptions(tags, "tags");
  return (error, context) => {
    sentry.captureException(error, {
      tags: { ...tags, tool: context.tool, service: context.service },
      extra: {
        ...(context.requestId !== undefined ? { requestId: context.requestId } : {}),
        ...(context.sessionId !== undefined ? { sessionId: context.sessionId } : {}),
        ...(includeArgs ? { args: context.args } : {}),
      },
    });
  };
}
