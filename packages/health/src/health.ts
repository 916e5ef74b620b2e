import { EventSource, raceAbort, throwIfAborted } from "@mcp-prod/internal";
import {
  type CheckResult,
  type HealthReport,
  type HealthStatus,
  type NormalizedCheck,
  runChecks,
} from "./checks.ts";
import { HealthError } from "./errors.ts";
import { type HealthFormat, type ProbeResponse, type Readiness, renderProbe } from "./format.ts";
import {
  createFetchHandler,
  createNodeHandler,
  type FetchHealthHandler,
  type NodeHealthHandler,
} from "./http-handlers.ts";
import { LoopDelayMonitor } from "./loop-delay.ts";
import { type HealthOptions, readHealthOptions } from "./options.ts";
import type { ProbeRoute, ProbeRouter } from "./probe-routes.ts";
import {
  type GracefulShutdown,
  type GracefulShutdownOptions,
  installGracefulShutdown,
  type ShutdownEvents,
} from "./shutdown.ts";

/**
 * The events of a health object, on top of {@link ShutdownEvents}.
 *
 * @example
 * ```ts
 * health.on("statusChange", ({ from, to }) => logger.warn({ from, to }, "health changed"));
 * health.on("exit", ({ code }) => logger.info({ code }, "exiting"));
 * ```
 */
export type HealthEvents = ShutdownEvents & {
  /** One check finished (after each real run, not for cached answers). */
  check: (result: CheckResult) => void;
  /** The overall status changed between two runs. */
  statusChange: (change: { readonly from: HealthStatus; readonly to: HealthStatus }) => void;
  /** `markReady()`, `markNotReady()` or a shutdown changed readiness. */
  readinessChange: (change: { readonly from: Readiness; readonly to: Readiness }) => void;
};

/**
 * Health checks, the four probe routes and graceful shutdown for one service.
 * Create it with {@link createHealth}.
 *
 * @example
 * ```ts
 * const health: Health = createHealth({ checks: { database: pgCheck(pool) } });
 * health.markReady();
 * ```
 */
export type Health = {
  /** Runs the checks (or reuses the cached / in-flight run) and reports them. */
  check(options?: { readonly signal?: AbortSignal }): Promise<HealthReport>;
  /** The answer of one route, for frameworks with neither node nor fetch handlers. */
  probe(route: ProbeRoute, options?: { readonly signal?: AbortSignal }): Promise<ProbeResponse>;
  /** `starting` until `markReady()`, `shuttingDown` from the first shutdown signal on. */
  readonly readiness: Readiness;
  /** Startup is done: `/health/ready` and `/health/startup` may answer 200. */
  markReady(): void;
  /** Take the service out of rotation without shutting down (`/health/ready` answers 503). */
  markNotReady(): void;
  nodeHandler(): NodeHealthHandler;
  fetchHandler(): FetchHealthHandler;
  /** Installs signal handlers that drain and stop `servers`, run `cleanup` and exit. */
  gracefulShutdown(options?: GracefulShutdownOptions): GracefulShutdown;
  on<Name extends keyof HealthEvents>(name: Name, listener: HealthEvents[Name]): () => void;
  /**
   * Removes signal handlers, listeners and the event-loop monitor; the process
   * can exit. Every later call (a check, a probe, `markReady`, `on`,
   * `gracefulShutdown`) throws a `HealthError` with code `"EHEALTHCLOSED"`.
   */
  close(): void;
};

class HealthImpl extends EventSource<HealthEvents> implements Health {
  readonly #checks: ReadonlyArray<NormalizedCheck>;
  readonly #cacheMs: number;
  readonly #format: HealthFormat;
  readonly #details: boolean;
  readonly #router: ProbeRouter;
  readonly #maxEventLoopDelayMs: number | undefined;
  readonly #loopDelay: LoopDelayMonitor | undefined;
  readonly #shutdowns = new Set<GracefulShutdown>();
  #readiness: Readiness = "starting";
  #started = false;
  #closed = false;
  #cached: { readonly report: HealthReport; readonly expiresAt: number } | undefined;
  #inFlight: Promise<HealthReport> | undefined;
  #lastStatus: HealthStatus | undefined;
  #nodeHandler: NodeHealthHandler | undefined;
  #fetchHandler: FetchHealthHandler | undefined;

  constructor(options: HealthOptions | undefined) {
    super();
    const settings = readHealthOptions(options);
    this.#checks = settings.checks;
    this.#cacheMs = settings.cacheMs;
    this.#format = settings.format;
    this.#details = settings.details;
    this.#router = settings.router;
    this.#maxEventLoopDelayMs = settings.maxEventLoopDelayMs;
    if (settings.maxEventLoopDelayMs !== undefined) {
      this.#loopDelay = new LoopDelayMonitor();
    }
  }

  get readiness(): Readiness {
    return this.#readiness;
  }

  #setReadiness(to: Readiness): void {
    const from = this.#readiness;
    if (from === to || from === "shuttingDown") return;
    this.#readiness = to;
    this.emit("readinessChange", { from, to });
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new HealthError(
        "EHEALTHCLOSED",
        "This health object was closed: create a new one with createHealth()",
      );
  }

  markReady(): void {
    this.#assertOpen();
    this.#started = true;
    this.#setReadiness("ready");
  }

  markNotReady(): void {
    this.#assertOpen();
    this.#setReadiness("notReady");
  }

  // A closed health object never emits again: a listener added now would be lost.
  override on<Name extends keyof HealthEvents>(
    name: Name,
    listener: HealthEvents[Name],
  ): () => void {
    this.#assertOpen();
    return super.on(name, listener);
  }

  check(options?: { readonly signal?: AbortSignal }): Promise<HealthReport> {
    const signal = options?.signal;
    try {
      this.#assertOpen();
      throwIfAborted(signal);
    } catch (error) {
      return Promise.reject(error);
    }
    const cached = this.#cached;
    if (cached && performance.now() < cached.expiresAt) return Promise.resolve(cached.report);
    this.#inFlight ??= runChecks(this.#checks).then((report) => {
      this.#inFlight = undefined;
      if (this.#cacheMs > 0)
        this.#cached = { report, expiresAt: performance.now() + this.#cacheMs };
      this.#publish(report);
      return report;
    });
    return raceAbort(this.#inFlight, signal);
  }

  #publish(report: HealthReport): void {
    if (this.hasListeners("check"))
      for (const result of Object.values(report.checks)) this.emit("check", result);
    const from = this.#lastStatus;
    this.#lastStatus = report.status;
    if (from !== undefined && from !== report.status)
      this.emit("statusChange", { from, to: report.status });
  }

  async probe(
    route: ProbeRoute,
    options?: { readonly signal?: AbortSignal },
  ): Promise<ProbeResponse> {
    this.#assertOpen();
    const timestamp = () => new Date().toISOString();
    switch (route) {
      case "live":
        return this.#live(timestamp());
      case "startup":
        return renderProbe(
          {
            status: this.#started ? "healthy" : "unhealthy",
            readiness: this.#readiness,
            timestamp: timestamp(),
          },
          this.#format,
          this.#details,
        );
      case "ready": {
        if (this.#readiness !== "ready")
          return renderProbe(
            { status: "unhealthy", readiness: this.#readiness, timestamp: timestamp() },
            this.#format,
            this.#details,
          );
        const report = await this.check(options);
        return renderProbe(
          {
            status: report.status,
            results: Object.values(report.checks),
            readiness: this.#readiness,
            timestamp: report.timestamp,
          },
          this.#format,
          this.#details,
        );
      }
      default: {
        const report = await this.check(options);
        return renderProbe(
          {
            status: report.status,
            results: Object.values(report.checks),
            timestamp: report.timestamp,
          },
          this.#format,
          this.#details,
        );
      }
    }
  }

  #live(timestamp: string): ProbeResponse {
    const server: Record<string, number> = { uptimeSeconds: Math.round(process.uptime()) };
    let status: HealthStatus = "healthy";
    if (this.#loopDelay && this.#maxEventLoopDelayMs !== undefined) {
      const delayMs = this.#loopDelay.takeMax();
      server.eventLoopDelayMs = delayMs;
      if (delayMs > this.#maxEventLoopDelayMs) status = "unhealthy";
    }
    return renderProbe({ status, server, timestamp }, this.#format, this.#details);
  }

  nodeHandler(): NodeHealthHandler {
    this.#nodeHandler ??= createNodeHandler(this.#router, (route) => this.probe(route));
    return this.#nodeHandler;
  }

  fetchHandler(): FetchHealthHandler {
    this.#fetchHandler ??= createFetchHandler(this.#router, (route, options) =>
      this.probe(route, options),
    );
    return this.#fetchHandler;
  }

  gracefulShutdown(options?: GracefulShutdownOptions): GracefulShutdown {
    this.#assertOpen();
    const shutdown = installGracefulShutdown(
      {
        beginShutdown: () => this.#setReadiness("shuttingDown"),
        emit: (name, ...args) => this.emit(name, ...args),
      },
      options,
    );
    this.#shutdowns.add(shutdown);
    return shutdown;
  }

  close(): void {
    this.#closed = true;
    for (const shutdown of this.#shutdowns) shutdown.dispose();
    this.#shutdowns.clear();
    this.#loopDelay?.stop();
    this.#cached = undefined;
    this.removeAllListeners();
  }
}

/**
 * Creates the health object of a service: dependency checks run in parallel
 * under a timeout and cached, the `/health`, `/health/live`, `/health/ready`
 * and `/health/startup` routes as node and fetch handlers, and graceful
 * shutdown on SIGTERM.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { createHealth, httpCheck, pgCheck } from "@mcp-prod/health";
 *
 * const health = createHealth({
 *   checks: {
 *     database: pgCheck(pool),
 *     externalApi: { check: httpCheck("http://127.0.0.1:8080/status"), critical: false },
 *   },
 * });
 * const server = createServer(health.nodeHandler()).listen(3000);
 * health.gracefulShutdown({ servers: [server], cleanup: [() => pool.end()] });
 * health.markReady();
 * ```
 */
export function createHealth(options?: HealthOptions): Health {
  return new HealthImpl(options);
}
