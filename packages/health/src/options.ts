import {
  assertBoolean,
  assertFunction,
  assertKnownKeys,
  assertNonNegativeNumber,
  assertOneOf,
  assertOptions,
  assertPositiveNumber,
  optionKeys,
} from "@mcp-prod/internal";
import type { Check, CheckDefinition, NormalizedCheck } from "./checks.ts";
import type { HealthFormat } from "./format.ts";
import {
  createProbeRouter,
  PROBE_ROUTES,
  type ProbeRoute,
  type ProbeRouter,
} from "./probe-routes.ts";

/**
 * Options of {@link createHealth}.
 *
 * @example
 * ```ts
 * const options: HealthOptions = { checks: { database: pgCheck(pool) }, timeoutMs: 800, cacheMs: 1000 };
 * const health = createHealth(options);
 * ```
 */
export type HealthOptions = {
  /**
   * The dependency checks, by name: the names become the keys of `checks` in
   * the response (`server` is always there and always first).
   * @default {}
   */
  readonly checks?: Readonly<Record<string, Check>>;
  /**
   * Per-check timeout: a check still pending after it is `unhealthy` with
   * reason `timeout`, so the response never waits longer. Keep it below the
   * probe's `timeoutSeconds` (Kubernetes' default is 1 s).
   * @default 800
   */
  readonly timeoutMs?: number;
  /**
   * How long a run's results are reused. Concurrent probes always share the
   * run in flight, so each check runs at most once per `cacheMs` however many
   * probes arrive. `0` reuses nothing beyond the run in flight.
   * @default 1000
   */
  readonly cacheMs?: number;
  /**
   * `"json"`: `{ status, checks: { server, …names }, details, timestamp }` as
   * `application/json`. `"health+json"`: the IETF draft's
   * `application/health+json` (`pass` / `warn` / `fail`).
   * @default "json"
   */
  readonly format?: HealthFormat;
  /**
   * Include each check's latency, criticality and (credential-stripped) error
   * message. Turn off when the probe port is reachable from outside.
   * @default true
   */
  readonly details?: boolean;
  /**
   * The route paths; a node handler mounted under a prefix (express
   * `app.use("/health", …)`) matches on the full original URL.
   * @default { health: "/health", live: "/health/live", ready: "/health/ready", startup: "/health/startup" }
   */
  readonly paths?: Readonly<Partial<Record<ProbeRoute, string>>>;
  /**
   * When set, `/health/live` answers 503 if the event loop was blocked longer
   * than this since the previous liveness probe (a stuck process, not a slow
   * dependency). Off by default: answering at all proves the loop runs.
   * @default undefined
   */
  readonly maxEventLoopDelayMs?: number;
};

/** {@link HealthOptions} checked, with every default filled in. */
export type HealthSettings = {
  readonly checks: ReadonlyArray<NormalizedCheck>;
  readonly cacheMs: number;
  readonly format: HealthFormat;
  readonly details: boolean;
  readonly router: ProbeRouter;
  readonly maxEventLoopDelayMs: number | undefined;
};

const HEALTH_KEYS = optionKeys<HealthOptions>({
  checks: true,
  timeoutMs: true,
  cacheMs: true,
  format: true,
  details: true,
  paths: true,
  maxEventLoopDelayMs: true,
});

const CHECK_KEYS = optionKeys<CheckDefinition>({ check: true, critical: true, timeoutMs: true });

/** @godaddy/terminus' and lightship's names. */
const HEALTH_FOREIGN_KEYS = {
  healthChecks: "use `checks`",
  shutdownDelay: "pass `drainMs` to `health.gracefulShutdown()`",
  beforeShutdown: "pass `drainMs` to `health.gracefulShutdown()`",
  onSignal: "pass `cleanup` hooks to `health.gracefulShutdown()`",
  signals: "pass `signals` to `health.gracefulShutdown()`",
  timeout: "use `timeoutMs` (milliseconds)",
};

/** Checks the options of `createHealth()` and fills in the defaults. */
export function readHealthOptions(options: HealthOptions | undefined): HealthSettings {
  assertOptions(options);
  assertKnownKeys(options, HEALTH_KEYS, "createHealth()", HEALTH_FOREIGN_KEYS);
  const {
    checks = {},
    timeoutMs = 800,
    cacheMs = 1000,
    format = "json",
    details = true,
    paths = {},
    maxEventLoopDelayMs,
  } = options ?? {};
  assertPositiveNumber(timeoutMs, "timeoutMs");
  assertNonNegativeNumber(cacheMs, "cacheMs");
  assertOneOf(format, "format", ["json", "health+json"] as const);
  assertBoolean(details, "details");
  assertOptions(paths, "paths");
  assertKnownKeys(paths, PROBE_ROUTES, "createHealth() `paths`");
  assertPositiveNumber(maxEventLoopDelayMs, "maxEventLoopDelayMs", true);
  const normalized = normalizeChecks(checks, timeoutMs);
  return {
    checks: normalized,
    cacheMs,
    format,
    details,
    router: createProbeRouter(paths),
    maxEventLoopDelayMs,
  };
}

function normalizeChecks(
  checks: Readonly<Record<string, Check>>,
  timeoutMs: number,
): NormalizedCheck[] {
  if (typeof checks !== "object" || checks === null || Array.isArray(checks))
    throw new TypeError("Expected `checks` to be an object of check functions");
  return Object.entries(checks).map(([name, check]) => {
    if (name === "server")
      throw new TypeError("Expected `checks` not to use the name `server`, which is reserved");
    if (typeof check === "function") return { name, run: check, critical: true, timeoutMs };
    if (typeof check !== "object" || check === null)
      throw new TypeError(`Expected \`checks.${name}\` to be a function or { check, critical }`);
    assertKnownKeys(check, CHECK_KEYS, `createHealth() \`checks.${name}\``, {
      fn: "use `check`",
      run: "use `check`",
      timeout: "use `timeoutMs` (milliseconds)",
    });
    assertFunction(check.check, `checks.${name}.check`);
    assertBoolean(check.critical, `checks.${name}.critical`, true);
    assertPositiveNumber(check.timeoutMs, `checks.${name}.timeoutMs`, true);
    return {
      name,
      run: check.check,
      critical: check.critical ?? true,
      timeoutMs: check.timeoutMs ?? timeoutMs,
    };
  });
}
