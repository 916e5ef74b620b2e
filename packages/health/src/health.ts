import type { IncomingMessage, ServerResponse } from "node:http";
import {
  assertBoolean,
  assertFunction,
  assertKnownKeys,
  assertNonNegativeNumber,
  assertOneOf,
  assertOptions,
  assertPositiveNumber,
  assertString,
  Emitter,
  optionKeys,
  raceAbort,
  throwIfAborted,
} from "@mcp-prod/internal";
import {
  type Check,
  type CheckDefinition,
  type CheckResult,
  type HealthReport,
  type HealthStatus,
  type NormalizedCheck,
  runChecks,
} from "./checks.ts";
import { HealthError } from "./errors.ts";
import { type HealthFormat, type ProbeResponse, type Readiness, renderProbe } from "./format.ts";
import {
  type GracefulShutdown,
  type GracefulShutdownOptions,
  installGracefulShutdown,
  type ShutdownEvents,
} from "./shutdown.ts";

/**
 * The four routes every health object serves.
 *
 * @example
 * ```ts
 * const answer = await health.probe("ready");
 * reply.code(answer.statusCode).type(answer.contentType).send(answer.body);
 * ```
 */
export type ProbeRoute = "health" | "live" | "ready" | "startup";

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
 * A node / express handler: serves the probe routes, passes anything else to `next` (or answers 404).
 *
 * @example
 * ```ts
 * const handler: NodeHealthHandler = health.nodeHandler();
 * app.use("/health", handler); // express
 * ```
 */
export type NodeHealthHandler = (
  request: IncomingMessage & { readonly originalUrl?: string },
  response: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/**
 * A fetch-API handler (hono, Bun, Deno, Next.js route handlers). Unknown paths answer 404.
 *
 * @example
 * ```ts
 * const handler: FetchHealthHandler = health.fetchHandler();
 * app.get("/health/*", (c) => handler(c.req.raw)); // hono
 * ```
 */
export type FetchHealthHandler = (request: Request) => Promise<Response>;

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
   * `gracefulShutdown`) throws a `HealthError` with code `"CLOSED"`.
   */
  close(): void;
};

const routes: ReadonlyArray<ProbeRoute> = ["health", "live", "ready", "startup"];

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

function normalizePath(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
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

/**
 * The longest event-loop stall since the last read, from how late a 20 ms
 * interval fires. (perf_hooks' histogram drops the first sample after a
 * reset, which is exactly the stall a liveness probe needs to see.)
 */
class LoopDelayMonitor {
  static readonly intervalMs = 20;
  #expected = performance.now() + LoopDelayMonitor.intervalMs;
  #maxMs = 0;
  readonly #timer = setInterval(() => {
    const now = performance.now();
    this.#maxMs = Math.max(this.#maxMs, now - this.#expected);
    this.#expected = now + LoopDelayMonitor.intervalMs;
  }, LoopDelayMonitor.intervalMs).unref();

  /** The longest stall in ms since the previous call, counting one still in progress. */
  takeMax(): number {
    const current = Math.max(this.#maxMs, performance.now() - this.#expected);
    this.#maxMs = 0;
    return Math.round(Math.max(0, current) * 10) / 10;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

class HealthImpl implements Health {
  readonly #checks: ReadonlyArray<NormalizedCheck>;
  readonly #cacheMs: number;
  readonly #format: HealthFormat;
  readonly #details: boolean;
  readonly #routesByPath: ReadonlyMap<string, ProbeRoute>;
  readonly #maxEventLoopDelayMs: number | undefined;
  readonly #loopDelay: LoopDelayMonitor | undefined;
  readonly #events = new Emitter<HealthEvents>();
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
    assertKnownKeys(paths, routes, "createHealth() `paths`");
    assertPositiveNumber(maxEventLoopDelayMs, "maxEventLoopDelayMs", true);
    this.#checks = normalizeChecks(checks, timeoutMs);
    this.#cacheMs = cacheMs;
    this.#format = format;
    this.#details = details;
    const byPath = new Map<string, ProbeRoute>();
    for (const route of routes) {
      const path = paths[route] ?? (route === "health" ? "/health" : `/health/${route}`);
      assertString(path, `paths.${route}`);
      if (!path.startsWith("/")) throw new TypeError(`Expected \`paths.${route}\` to start with /`);
      byPath.set(normalizePath(path), route);
    }
    this.#routesByPath = byPath;
    this.#maxEventLoopDelayMs = maxEventLoopDelayMs;
    if (maxEventLoopDelayMs !== undefined) {
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
    this.#events.emit("readinessChange", { from, to });
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new HealthError(
        "CLOSED",
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

  on<Name extends keyof HealthEvents>(name: Name, listener: HealthEvents[Name]): () => void {
    this.#assertOpen();
    return this.#events.on(name, listener);
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
    if (this.#events.hasListeners("check"))
      for (const result of Object.values(report.checks)) this.#events.emit("check", result);
    const from = this.#lastStatus;
    this.#lastStatus = report.status;
    if (from !== undefined && from !== report.status)
      this.#events.emit("statusChange", { from, to: report.status });
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

  #route(url: string): ProbeRoute | undefined {
    const query = url.indexOf("?");
    return this.#routesByPath.get(normalizePath(query === -1 ? url : url.slice(0, query)));
  }

  nodeHandler(): NodeHealthHandler {
    this.#nodeHandler ??= (request, response, next) => {
      const route = this.#route(request.originalUrl ?? request.url ?? "/");
      if (route === undefined) {
        if (next) next();
        else sendNode(response, 404, "application/json", '{"error":"Not Found"}', false);
        return;
      }
      const method = request.method ?? "GET";
      if (method !== "GET" && method !== "HEAD") {
        response.setHeader("allow", "GET, HEAD");
        sendNode(response, 405, "application/json", '{"error":"Method Not Allowed"}', false);
        return;
      }
      this.probe(route).then(
        (answer) =>
          sendNode(response, answer.statusCode, answer.contentType, answer.body, method === "HEAD"),
        (error: unknown) => (next ? next(error) : response.destroy()),
      );
    };
    return this.#nodeHandler;
  }

  fetchHandler(): FetchHealthHandler {
    this.#fetchHandler ??= async (request) => {
      const route = this.#route(new URL(request.url).pathname);
      if (route === undefined) return Response.json({ error: "Not Found" }, { status: 404 });
      if (request.method !== "GET" && request.method !== "HEAD")
        return Response.json(
          { error: "Method Not Allowed" },
          { status: 405, headers: { allow: "GET, HEAD" } },
        );
      const answer = await this.probe(route, { signal: request.signal });
      return new Response(request.method === "HEAD" ? null : answer.body, {
        status: answer.statusCode,
        headers: { "content-type": answer.contentType, "cache-control": "no-store" },
      });
    };
    return this.#fetchHandler;
  }

  gracefulShutdown(options?: GracefulShutdownOptions): GracefulShutdown {
    this.#assertOpen();
    const shutdown = installGracefulShutdown(
      {
        beginShutdown: () => this.#setReadiness("shuttingDown"),
        emit: (name, ...args) => this.#events.emit(name, ...args),
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
    this.#events.removeAllListeners();
  }
}

function sendNode(
  response: ServerResponse,
  statusCode: number,
  contentType: string,
  body: string,
  head: boolean,
): void {
  response.writeHead(statusCode, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  response.end(head ? undefined : body);
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
