import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import type { Server as NetServer, Socket } from "node:net";
import {
  assertFunction,
  assertKnownKeys,
  assertNonNegativeNumber,
  assertOptions,
  assertPositiveNumber,
  assertString,
  delay,
  isProductionEnvironment,
  noop,
  optionKeys,
  withDeadline,
} from "@mcp-prod/internal";
import { HealthError } from "./errors.ts";

/**
 * Where a graceful shutdown is.
 *
 * @example
 * ```ts
 * health.on("shutdownPhase", ({ phase }) => logger.info({ phase }, "shutting down"));
 * ```
 */
export type ShutdownPhase = "running" | "draining" | "closing" | "cleanup" | "done";

/**
 * A cleanup hook: closes a pool, a cache, a telemetry exporter. Its signal aborts when the cleanup budget runs out.
 *
 * @example
 * ```ts
 * const closePool: CleanupHook = () => pool.end();
 * ```
 */
export type CleanupHook = (context: { readonly signal: AbortSignal }) => unknown;

/**
 * Options of `health.gracefulShutdown()`.
 *
 * @example
 * ```ts
 * health.gracefulShutdown({ servers: [server], drainMs: 5000, timeoutMs: 20_000, cleanup: [() => pool.end()] });
 * ```
 */
export type GracefulShutdownOptions = {
  /**
   * Servers to stop: `node:http` / `node:https` servers (what `app.listen()`
   * and `@hono/node-server` return), or any `node:net` server.
   * @default []
   */
  readonly servers?: ReadonlyArray<NetServer>;
  /**
   * After the signal, how long to keep serving with readiness at 503 so the
   * load balancer stops routing here before the servers stop accepting. Only
   * a load balancer needs the wait, so by default it happens only under
   * Kubernetes (`KUBERNETES_SERVICE_HOST` is set) or with
   * `NODE_ENV=production`; on a developer's machine Ctrl-C stops at once.
   * @default 5000 under Kubernetes or in production, otherwise 0
   */
  readonly drainMs?: number;
  /**
   * Once the servers stop accepting, how long in-flight requests (tool calls
   * over Streamable HTTP included) may take; past it their connections are
   * destroyed and the exit code is 1.
   * @default 15000
   */
  readonly timeoutMs?: number;
  /**
   * Run in order after the servers closed, each awaited; a hook that throws is
   * reported with the `cleanupError` event and the next one still runs.
   * @default []
   */
  readonly cleanup?: ReadonlyArray<CleanupHook>;
  /**
   * The time all cleanup hooks share; when it runs out the running hook's
   * signal aborts, the remaining hooks are skipped and the exit code is 1.
   * @default 5000
   */
  readonly cleanupTimeoutMs?: number;
  /**
   * Process signals that start the shutdown; a second one forces exit 1.
   * @default ["SIGTERM", "SIGINT"]
   */
  readonly signals?: ReadonlyArray<NodeJS.Signals>;
  /**
   * Called with the exit code at the end; `false` leaves the process running
   * (for tests and for hosts that exit themselves).
   * @default process.exit
   */
  readonly exit?: ((code: number) => void) | false;
};

/**
 * A started shutdown handler. Call it to shut down without a signal; it
 * resolves with the exit code (0 clean, 1 forced).
 *
 * @example
 * ```ts
 * const shutdown = health.gracefulShutdown({ servers: [server], exit: false });
 * const code = await shutdown("maintenance"); // 0 or 1
 * ```
 */
export type GracefulShutdown = {
  (reason?: string): Promise<0 | 1>;
  /** Where the shutdown is; `running` until a signal or a call. */
  readonly phase: ShutdownPhase;
  /** Removes the signal and server listeners (nothing is shut down). */
  dispose(): void;
};

/**
 * The events a shutdown reports through its health object.
 *
 * @example
 * ```ts
 * health.on("cleanupError", ({ index, error }) => logger.error({ index, error }, "cleanup failed"));
 * ```
 */
export type ShutdownEvents = {
  /** Shutdown began: readiness is now 503. `reason` is the signal name or the caller's reason. */
  shutdown: (info: { readonly reason: string }) => void;
  /** A new phase began. */
  shutdownPhase: (info: { readonly phase: ShutdownPhase }) => void;
  /** A cleanup hook threw or outlived the cleanup budget. */
  cleanupError: (info: { readonly index: number; readonly error: unknown }) => void;
  /** The shutdown finished and is about to call `exit(code)`; `forced` after a second signal. */
  exit: (info: { readonly code: 0 | 1; readonly forced: boolean }) => void;
};

export type ShutdownHost = {
  /** Turns readiness to 503 for good. */
  beginShutdown(): void;
  emit<Name extends keyof ShutdownEvents>(
    name: Name,
    ...args: Parameters<ShutdownEvents[Name]>
  ): void;
};

function isHttpServer(server: NetServer): server is HttpServer {
  return typeof (server as Partial<HttpServer>).closeIdleConnections === "function";
}

/** Connections and in-flight responses of one server, so idle keep-alive sockets are closed, not waited on. */
class TrackedServer {
  readonly server: NetServer;
  readonly #sockets = new Set<Socket>();
  readonly #responses = new Set<ServerResponse>();
  #closing = false;

  readonly #onConnection = (socket: Socket) => {
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
  };

  readonly #onRequest = (_request: IncomingMessage, response: ServerResponse) => {
    this.#responses.add(response);
    response.once("close", () => this.#responses.delete(response));
    if (this.#closing) this.#finishThenClose(response);
  };

  constructor(server: NetServer) {
    this.server = server;
    server.on("connection", this.#onConnection);
    if (isHttpServer(server)) server.on("request", this.#onRequest);
  }

  /** Asks the client to close once this response is done, and closes the socket if it stays. */
  #finishThenClose(response: ServerResponse): void {
    if (!response.headersSent) response.setHeader("connection", "close");
    response.once("finish", () => {
      setImmediate(() => {
        if (isHttpServer(this.server)) this.server.closeIdleConnections();
      });
    });
  }

  /** Stops accepting; resolves when every connection has ended. */
  close(): Promise<void> {
    this.#closing = true;
    const closed = new Promise<void>((resolve) => {
      if (!this.server.listening) {
        resolve(this.#sockets.size === 0 ? undefined : this.#whenSocketsClosed());
        return;
      }
      this.server.close(() => resolve());
    });
    if (isHttpServer(this.server)) {
      this.server.closeIdleConnections();
      for (const response of this.#responses) this.#finishThenClose(response);
    }
    return closed;
  }

  #whenSocketsClosed(): Promise<void> {
    return Promise.all(
      [...this.#sockets].map(
        (socket) => new Promise<void>((resolve) => socket.once("close", () => resolve())),
      ),
    ).then(() => undefined);
  }

  destroyConnections(): void {
    // closeAllConnections() also reaches connections opened before tracking began.
    if (isHttpServer(this.server)) this.server.closeAllConnections();
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  detach(): void {
    this.server.off("connection", this.#onConnection);
    this.server.off("request", this.#onRequest);
  }
}

const TIMED_OUT = () => ({ value: true });

/** Where a drain wait is worth its delay: Kubernetes, or an explicit production run. */
function behindLoadBalancer(): boolean {
  return (
    process.env.KUBERNETES_SERVICE_HOST !== undefined ||
    isProductionEnvironment(process.env.NODE_ENV)
  );
}

const SHUTDOWN_KEYS = optionKeys<GracefulShutdownOptions>({
  servers: true,
  drainMs: true,
  timeoutMs: true,
  cleanup: true,
  cleanupTimeoutMs: true,
  signals: true,
  exit: true,
});

/** @godaddy/terminus' and lightship's names. */
const SHUTDOWN_FOREIGN_KEYS = {
  shutdownDelay: "use `drainMs` (milliseconds)",
  beforeShutdown: "use `drainMs` (milliseconds)",
  onSignal: "use `cleanup` (an array of hooks)",
  onShutdown: "use `cleanup` (an array of hooks)",
  gracefulShutdownTimeout: "use `timeoutMs` (milliseconds)",
  shutdownHandlerTimeout: "use `cleanupTimeoutMs` (milliseconds)",
  timeout: "use `timeoutMs` (milliseconds)",
  server: "use `servers` (an array)",
};

export function installGracefulShutdown(
  host: ShutdownHost,
  options: GracefulShutdownOptions | undefined,
): GracefulShutdown {
  assertOptions(options);
  assertKnownKeys(options, SHUTDOWN_KEYS, "health.gracefulShutdown()", SHUTDOWN_FOREIGN_KEYS);
  const {
    servers = [],
    drainMs = behindLoadBalancer() ? 5000 : 0,
    timeoutMs = 15_000,
    cleanup = [],
    cleanupTimeoutMs = 5000,
    signals = ["SIGTERM", "SIGINT"],
    exit = (code: number) => process.exit(code),
  } = options ?? {};
  if (!Array.isArray(servers)) throw new TypeError("Expected `servers` to be an array of servers");
  for (const server of servers) {
    if (typeof (server as Partial<NetServer>)?.close !== "function")
      throw new TypeError("Expected `servers` to hold servers with a close() method");
  }
  assertNonNegativeNumber(drainMs, "drainMs");
  assertPositiveNumber(timeoutMs, "timeoutMs");
  assertPositiveNumber(cleanupTimeoutMs, "cleanupTimeoutMs");
  if (!Array.isArray(cleanup))
    throw new TypeError("Expected `cleanup` to be an array of functions");
  for (const [index, hook] of cleanup.entries()) assertFunction(hook, `cleanup[${index}]`);
  if (!Array.isArray(signals)) throw new TypeError("Expected `signals` to be an array of signals");
  for (const signal of signals) assertString(signal, "signals");
  if (exit !== false) assertFunction(exit, "exit");

  const tracked = servers.map((server) => new TrackedServer(server));
  // Aborted by dispose(): ends every wait of a shutdown in progress and clears its timers.
  let stop = new AbortController();
  let phase: ShutdownPhase = "running";
  let running: Promise<0 | 1> | undefined;
  let settle: (code: 0 | 1) => void = () => {};
  let finished = false;

  const enter = (next: ShutdownPhase) => {
    phase = next;
    host.emit("shutdownPhase", { phase: next });
  };

  const dispose = () => {
    for (const signal of signals) process.off(signal, onSignal);
    for (const server of tracked) server.detach();
    stop.abort();
    stop = new AbortController();
  };

  const finish = (code: 0 | 1, forced: boolean) => {
    if (finished) return;
    finished = true;
    enter("done");
    dispose();
    host.emit("exit", { code, forced });
    settle(code);
    if (exit !== false) exit(code);
  };

  const runCleanup = async (): Promise<0 | 1> => {
    let code: 0 | 1 = 0;
    let index = 0;
    try {
      // One budget for every hook; at its end the hooks' signal aborts with the timeout.
      await withDeadline(
        async (signal) => {
          for (const [position, hook] of cleanup.entries()) {
            index = position;
            try {
              await hook({ signal });
            } catch (error) {
              if (HealthError.isInstance(error) && error.code === "ESHUTDOWNTIMEOUT") throw error;
              host.emit("cleanupError", { index, error });
              code = 1;
            }
          }
        },
        cleanupTimeoutMs,
        {
          // Not stopped by dispose(): a hook (a server's own close) may dispose the health it belongs to.
          unref: false,
          onTimeout: () =>
            new HealthError(
              "ESHUTDOWNTIMEOUT",
              `Cleanup did not finish within cleanupTimeoutMs (${cleanupTimeoutMs} ms)`,
            ),
        },
      );
    } catch (error) {
      if (HealthError.isInstance(error) && error.code === "ESHUTDOWNTIMEOUT")
        host.emit("cleanupError", { index, error });
      return 1;
    }
    return code;
  };

  const run = async (reason: string): Promise<0 | 1> => {
    host.beginShutdown();
    host.emit("shutdown", { reason });
    enter("draining");
    if (drainMs > 0) await delay(drainMs, stop.signal).catch(noop);
    if (finished) return 1;

    enter("closing");
    let code: 0 | 1 = 0;
    const closed = Promise.all(tracked.map((server) => server.close())).then(() => false);
    // A soft deadline: at `timeoutMs` the connections still open are destroyed. After
    // dispose() the close is awaited without one, as the timers dispose() clears allow.
    const timedOut = await withDeadline(closed, timeoutMs, {
      signal: stop.signal,
      softTimeout: TIMED_OUT,
      unref: false,
    }).catch(() => closed);
    if (timedOut) {
      code = 1;
      for (const server of tracked) server.destroyConnections();
    }
    if (finished) return 1;

    enter("cleanup");
    if ((await runCleanup()) === 1) code = 1;
    return code;
  };

  const start = (reason: string): Promise<0 | 1> => {
    running ??= new Promise<0 | 1>((resolve) => {
      settle = resolve;
      // A forced exit may finish first; the first code reported wins.
      run(reason).then(
        (code) => finish(code, false),
        () => finish(1, false),
      );
    });
    return running;
  };

  function onSignal(signal: NodeJS.Signals): void {
    if (running === undefined) {
      void start(signal);
      return;
    }
    // A second signal: the operator wants out now.
    for (const server of tracked) server.destroyConnections();
    finish(1, true);
  }

  for (const signal of signals) process.on(signal, onSignal);

  const shutdown = ((reason = "shutdown") => start(reason)) as GracefulShutdown;
  Object.defineProperties(shutdown, {
    phase: { get: () => phase, enumerable: true },
    dispose: { value: dispose, enumerable: true },
  });
  return shutdown;
}
