import { describeError, withDeadline } from "@mcp-prod/internal";
import { HealthError } from "./errors.ts";

/**
 * The three states of a check and of the service as a whole.
 *
 * @example
 * ```ts
 * const report = await health.check();
 * const status: HealthStatus = report.status; // "healthy" | "degraded" | "unhealthy"
 * ```
 */
export type HealthStatus = "healthy" | "degraded" | "unhealthy";

/**
 * What a check may return: a status, `true` (healthy), `false` (unhealthy) or
 * nothing (healthy: it did not throw). A thrown error is unhealthy.
 *
 * @example
 * ```ts
 * const outcome: CheckOutcome = (await search.ping()) ? "healthy" : "degraded";
 * ```
 */
// biome-ignore lint/suspicious/noConfusingVoidType: lets `async () => { await pool.query("SELECT 1") }` be a check
export type CheckOutcome = HealthStatus | boolean | CheckObservation | undefined | void;

/**
 * A check's status with a figure it measured (a queue's backlog, a replica's
 * lag), reported as the check's `observedValue` in the details.
 *
 * @example
 * ```ts
 * const outbox = async (): Promise<CheckObservation> => {
 *   const backlog = await countPending();
 *   return { status: backlog > 1000 ? "degraded" : "healthy", observedValue: backlog, observedUnit: "notifications" };
 * };
 * ```
 */
export type CheckObservation = {
  readonly status: HealthStatus;
  readonly observedValue: number;
  /** What `observedValue` counts. */
  readonly observedUnit?: string;
};

/**
 * What every check receives: a signal aborted when the check times out.
 *
 * @example
 * ```ts
 * const check = async ({ signal }: CheckContext) => {
 *   await fetch("http://127.0.0.1:8080/status", { signal });
 * };
 * ```
 */
export type CheckContext = {
  /** Aborted with a `HealthError` (`ECHECKTIMEOUT`) when the check outlives its timeout. */
  readonly signal: AbortSignal;
};

/**
 * A health check: any function that settles with a {@link CheckOutcome}, such
 * as `pool.healthCheck` from `@mcp-prod/pool` or `cache.healthCheck` from
 * `@mcp-prod/cache` (pass a bound method or an arrow function).
 *
 * @example
 * ```ts
 * const database: CheckFunction = async ({ signal }) => {
 *   await pool.query("SELECT 1");
 *   return !signal.aborted;
 * };
 * ```
 */
export type CheckFunction = (context: CheckContext) => CheckOutcome | Promise<CheckOutcome>;

/**
 * A check with its own settings.
 *
 * @example
 * ```ts
 * const cache: CheckDefinition = { check: () => redis.ping().then(() => true), critical: false };
 * ```
 */
export type CheckDefinition = {
  readonly check: CheckFunction;
  /**
   * A failing critical check makes the service `unhealthy` (503); a failing
   * non-critical one only makes it `degraded` (still 200).
   * @default true
   */
  readonly critical?: boolean;
  /**
   * This check's own timeout, instead of the health object's `timeoutMs`.
   * @default the health object's `timeoutMs`
   */
  readonly timeoutMs?: number;
};

/**
 * A check as given to `createHealth`: a function, or a function with settings.
 *
 * @example
 * ```ts
 * const checks: Record<string, Check> = {
 *   database: () => pool.query("SELECT 1").then(() => true),
 *   cache: { check: () => redis.ping().then(() => true), critical: false },
 * };
 * ```
 */
export type Check = CheckFunction | CheckDefinition;

/**
 * Why a check is not healthy: it outlived its timeout, threw, or reported
 * `false`, `"degraded"` or `"unhealthy"` itself.
 *
 * @example
 * ```ts
 * health.on("check", ({ name, reason }) => {
 *   if (reason === "timeout") metrics.increment(`health.${name}.timeout`);
 * });
 * ```
 */
export type CheckReason = "timeout" | "error" | "reported";

/**
 * The outcome of one run of one check.
 *
 * @example
 * ```ts
 * const { database } = (await health.check()).checks;
 * if (database?.status !== "healthy") logger.warn(database?.error);
 * ```
 */
export type CheckResult = {
  readonly name: string;
  readonly status: HealthStatus;
  readonly critical: boolean;
  /** How long the check took, in milliseconds (its timeout when it timed out). */
  readonly latencyMs: number;
  /** Present when `status` is not `healthy`. */
  readonly reason?: CheckReason;
  /** The error's message with credentials removed, for `timeout` and `error`. */
  readonly error?: string;
  /** The figure the check reported with its status ({@link CheckObservation}). */
  readonly observedValue?: number;
  readonly observedUnit?: string;
};

/**
 * The outcome of one run of every check.
 *
 * @example
 * ```ts
 * const report: HealthReport = await health.check();
 * if (report.status === "unhealthy") logger.error(report.checks);
 * ```
 */
export type HealthReport = {
  /** `unhealthy` when a critical check is; `degraded` when any other check is not healthy. */
  readonly status: HealthStatus;
  readonly checks: Readonly<Record<string, CheckResult>>;
  /** When the run finished, ISO 8601. */
  readonly timestamp: string;
};

export type NormalizedCheck = {
  readonly name: string;
  readonly run: CheckFunction;
  readonly critical: boolean;
  readonly timeoutMs: number;
};

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function toStatus(outcome: CheckOutcome): HealthStatus {
  if (typeof outcome === "object" && outcome !== null) return toStatus(outcome.status);
  if (outcome === false || outcome === "unhealthy") return "unhealthy";
  if (outcome === "degraded") return "degraded";
  return "healthy";
}

/**
 * Runs one check under its timeout. It never rejects: a timeout, a throw or
 * a bad outcome each become an unhealthy result, and a check that settles
 * after its timeout is ignored.
 */
export function runCheck(check: NormalizedCheck): Promise<CheckResult> {
  const started = performance.now();
  const { name, critical, timeoutMs } = check;
  const result = (
    status: HealthStatus,
    reason?: CheckReason,
    error?: string,
    observation?: CheckObservation,
  ): CheckResult => ({
    name,
    status,
    critical,
    latencyMs: round(performance.now() - started),
    ...(reason ? { reason } : {}),
    ...(error !== undefined ? { error } : {}),
    ...(observation && Number.isFinite(observation.observedValue)
      ? {
          observedValue: observation.observedValue,
          ...(typeof observation.observedUnit === "string"
            ? { observedUnit: observation.observedUnit }
            : {}),
        }
      : {}),
  });
  let timeout: HealthError | undefined;
  return withDeadline((signal) => check.run({ signal }), timeoutMs, {
    onTimeout: () => {
      timeout = new HealthError(
        "ECHECKTIMEOUT",
        `Check "${name}" did not settle within ${timeoutMs} ms`,
      );
      return timeout;
    },
  }).then(
    (outcome) => {
      const status = toStatus(outcome);
      const observation =
        typeof outcome === "object" && outcome !== null ? (outcome as CheckObservation) : undefined;
      return status === "healthy"
        ? result(status, undefined, undefined, observation)
        : result(status, "reported", undefined, observation);
    },
    (error: unknown) =>
      timeout !== undefined && error === timeout
        ? result("unhealthy", "timeout", timeout.message)
        : result("unhealthy", "error", describeError(error)),
  );
}

/** The service's status from its checks' results. */
export function overallStatus(results: Iterable<CheckResult>): HealthStatus {
  let status: HealthStatus = "healthy";
  for (const result of results) {
    if (result.status === "healthy") continue;
    if (result.critical && result.status === "unhealthy") return "unhealthy";
    status = "degraded";
  }
  return status;
}

/** Runs every check in parallel; resolves once each has settled or timed out. */
export async function runChecks(checks: ReadonlyArray<NormalizedCheck>): Promise<HealthReport> {
  const results = await Promise.all(checks.map(runCheck));
  const byName: Record<string, CheckResult> = {};
  for (const result of results) byName[result.name] = result;
  return { status: overallStatus(results), checks: byName, timestamp: new Date().toISOString() };
}
