import type { CheckResult, HealthStatus } from "./checks.ts";

/**
 * The body format of every probe route: `"json"` (`{ status, checks, timestamp }`,
 * `healthy` / `degraded` / `unhealthy`) or `"health+json"` (the IETF draft).
 *
 * @example
 * ```ts
 * createHealth({ format: "health+json" }); // application/health+json, pass / warn / fail
 * ```
 */
export type HealthFormat = "json" | "health+json";

/**
 * Where the service is in its life: see `Health.readiness`.
 *
 * @example
 * ```ts
 * if (health.readiness === "shuttingDown") refuseNewSessions();
 * ```
 */
export type Readiness = "starting" | "ready" | "notReady" | "shuttingDown";

export type ProbeResponse = {
  readonly statusCode: 200 | 503;
  readonly contentType: string;
  readonly body: string;
};

export type ProbeBody = {
  readonly status: HealthStatus;
  /** Check results by name; absent for routes that run no checks. */
  readonly results?: ReadonlyArray<CheckResult>;
  readonly readiness?: Readiness;
  readonly timestamp: string;
  /** Extra facts about the process itself (liveness). */
  readonly server?: Readonly<Record<string, number>>;
};

const ietfStatus = { healthy: "pass", degraded: "warn", unhealthy: "fail" } as const;

function jsonBody(probe: ProbeBody, details: boolean): Record<string, unknown> {
  // Routes without dependency checks report the process itself as `server`.
  const server =
    probe.results === undefined
      ? probe.status
      : probe.readiness === undefined || probe.readiness === "ready"
        ? "healthy"
        : "unhealthy";
  const checks: Record<string, string> = { server };
  for (const result of probe.results ?? []) checks[result.name] = result.status;
  const body: Record<string, unknown> = { status: probe.status, checks };
  if (probe.readiness !== undefined) body.readiness = probe.readiness;
  if (details) {
    const detail: Record<string, unknown> = {};
    if (probe.server) detail.server = probe.server;
    for (const result of probe.results ?? []) {
      const { name: _name, ...rest } = result;
      detail[result.name] = rest;
    }
    body.details = detail;
  }
  body.timestamp = probe.timestamp;
  return body;
}

function ietfBody(probe: ProbeBody, details: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { status: ietfStatus[probe.status] };
  if (probe.readiness !== undefined && probe.readiness !== "ready") body.output = probe.readiness;
  const checks: Record<string, unknown[]> = {};
  for (const result of probe.results ?? []) {
    const entry: Record<string, unknown> = {
      componentId: result.name,
      status: ietfStatus[result.status],
      time: probe.timestamp,
    };
    if (details) {
      // A figure the check measured, else how long it took.
      if (result.observedValue !== undefined) {
        entry.observedValue = result.observedValue;
        if (result.observedUnit !== undefined) entry.observedUnit = result.observedUnit;
      } else {
        entry.observedValue = result.latencyMs;
        entry.observedUnit = "ms";
      }
      if (result.error !== undefined) entry.output = result.error;
    }
    checks[result.name] = [entry];
  }
  if (details && probe.server) {
    for (const [key, value] of Object.entries(probe.server)) {
      checks[`server:${key}`] = [{ componentType: "system", observedValue: value, status: "pass" }];
    }
  }
  if (Object.keys(checks).length > 0) body.checks = checks;
  return body;
}

/** Renders a probe's outcome: 200 for healthy and degraded, 503 otherwise (never 500). */
export function renderProbe(
  probe: ProbeBody,
  format: HealthFormat,
  details: boolean,
): ProbeResponse {
  const statusCode = probe.status === "unhealthy" ? 503 : 200;
  return format === "health+json"
    ? {
        statusCode,
        contentType: "application/health+json",
        body: JSON.stringify(ietfBody(probe, details)),
      }
    : {
        statusCode,
        contentType: "application/json; charset=utf-8",
        body: JSON.stringify(jsonBody(probe, details)),
      };
}
