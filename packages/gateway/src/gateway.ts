import { createHealth } from "@mcp-prod/health";
import { createRateLimiter, type RateLimiter } from "@mcp-prod/ratelimit";
import { createTelemetry } from "@mcp-prod/telemetry";
import { createAuthenticator } from "./auth.ts";
import { Backend } from "./backend.ts";
import { BackendSessions } from "./backend-sessions.ts";
import { type Bus, LocalBus } from "./bus.ts";
import { CallStopped } from "./call-context.ts";
import { Routes } from "./catalog.ts";
import { every } from "./clock.ts";
import type { CoreSettings, GatewayCore } from "./core.ts";
import { Dispatcher } from "./dispatch.ts";
import { GatewayConfigError } from "./errors.ts";
import { type EventStore, MemoryEventStore } from "./event-store.ts";
import { ClientAddresses, HostRules } from "./guards.ts";
import { serve } from "./http.ts";
import { Shares } from "./limits.ts";
import { McpEndpoint } from "./mcp-endpoint.ts";
import { type Gateway, type GatewayOptions, isLoopback, readOptions } from "./options.ts";
import { RedisBus } from "./redis-bus.ts";
import { RedisEventStore } from "./redis-event-store.ts";
import { RedisGate } from "./redis-gate.ts";
import { RedisSessionStore } from "./redis-session-store.ts";
import { relay } from "./relay.ts";
import { sessionCodec } from "./session-codec.ts";
import { MemorySessionStore, type SessionStore } from "./session-store.ts";
import { type LocalSession, Sessions } from "./sessions.ts";
import { ToolCalls } from "./tool-call.ts";
import { ServerTracing } from "./tracing.ts";
import { Upstream } from "./upstream.ts";

const LIST_NOTIFICATIONS = {
  tools: "notifications/tools/list_changed",
  prompts: "notifications/prompts/list_changed",
  resources: "notifications/resources/list_changed",
} as const;

/** A call still unanswered after this long answers as a (resumable) SSE stream. */
const STREAM_AFTER_MS = 2000;
const TICK_MS = 1000;
const KEEP_ALIVE_TICKS = 15;

/**
 * Starts an MCP gateway: one authenticated, rate-limited Streamable HTTP
 * endpoint (`/mcp`, with `/health*` and `/metrics`) in front of several
 * backend MCP servers, forwarding tools, prompts, resources, completions and
 * logging, their notifications and their requests to the client, with one
 * backend session per client session. With `redis`, any replica serves any
 * session.
 *
 * @example
 * ```ts
 * import { createGateway } from "@mcp-prod/gateway";
 *
 * const gateway = await createGateway({
 *   port: 3000,
 *   backends: [{ prefix: "users", url: "http://127.0.0.1:3001/mcp" }, { url: "http://127.0.0.1:3002/mcp" }],
 *   auth: { apiKeys: [{ key: process.env.API_KEY ?? "", clientId: "billing", scopes: ["*"] }] },
 * });
 * console.log(`MCP at ${gateway.url}/mcp`);
 * ```
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const settings = readOptions(options);
  const { clock, logger, redis } = settings;
  const authenticator = createAuthenticator(settings.auth);
  const hosts = new HostRules(
    isLoopback(settings.host),
    settings.allowedHosts,
    settings.allowedOrigins,
  );
  const addresses = new ClientAddresses(settings.trustedProxies);
  if (!authenticator.enabled && !isLoopback(settings.host) && !settings.allowAnonymous) {
    throw new GatewayConfigError(
      `Refusing to serve without authentication on ${settings.host}: set GATEWAY_API_KEYS or OAUTH_ISSUER (auth), bind to a loopback address, or set GATEWAY_ALLOW_ANONYMOUS=true (allowAnonymous) to accept it`,
    );
  }
  if (!authenticator.enabled)
    logger?.warn(
      { event: "anonymous", host: settings.host },
      "no credentials configured: every request is served without authentication",
    );
  if (!isLoopback(settings.host) && !redis)
    logger?.warn(
      { event: "single_replica", host: settings.host },
      "no REDIS_URL: sessions live in this process only, so replicas behind a load balancer cannot serve each other's sessions",
    );

  const ownTelemetry = settings.telemetry === undefined;
  const telemetry = settings.telemetry ?? createTelemetry({ serviceName: "mcp-gateway" });
  const upstream = new Upstream(clock);
  let routes = new Routes([]);
  let started = false;
  const backends = settings.backends.map(
    (config) =>
      new Backend(config, {
        upstream,
        clock,
        timeoutMs: settings.backendTimeoutMs,
        refreshIntervalMs: settings.refreshIntervalMs,
        maxSockets: settings.maxBackendConnections,
        maxResultBytes: settings.maxResultBytes,
        breaker: settings.breaker,
        onChange: () => started && rebuild(),
      }),
  );
  const byLabel = new Map(backends.map((backend) => [backend.label, backend]));
  for (const backend of backends) telemetry.observeBreaker(backend.breaker);

  // With Redis every replica shares sessions, stream events and a bus; without, this process holds them.
  const gate = redis ? new RedisGate(redis, settings.rateLimitStoreTimeoutMs, clock) : undefined;
  const prefix = settings.rateLimitKeyPrefix;
  const eventLimits = { maxEvents: settings.resumeMaxEvents, maxAgeMs: settings.resumeMaxAgeMs };
  const store: SessionStore = gate
    ? new RedisSessionStore(gate, prefix, clock)
    : new MemorySessionStore(clock);
  const events: EventStore = gate
    ? new RedisEventStore(gate, prefix, eventLimits, clock)
    : new MemoryEventStore(eventLimits, clock);
  const redisBus = gate ? new RedisBus(gate, prefix, () => void sessions.recover()) : undefined;
  const bus: Bus = redisBus ?? new LocalBus();

  const limiter = (name: string, limit: { points: number; durationSeconds: number }) =>
    createRateLimiter({
      name: `gateway-${name}`,
      keyPrefix: `${settings.rateLimitKeyPrefix}:${name}`,
      ...limit,
      ...(gate
        ? { redis: gate.limiterClient(), storeTimeoutMs: settings.rateLimitStoreTimeoutMs }
        : {}),
    });
  const limiters = {
    requests: limiter("requests", settings.requestRateLimit),
    tools: limiter("tools", settings.toolRateLimit),
    authFailures: limiter("auth-failures", settings.authFailureRateLimit),
  };
  gate?.onChange((up) => {
    if (up) void sessions.recover();
  });
  for (const each of Object.values(limiters)) {
    telemetry.observeRateLimiter(each);
    // A limiter that timed out on Redis closes the gate: the next decisions are made at once.
    if (gate) each.on("error", () => gate.fail());
  }

  const coreSettings: CoreSettings = {
    maxCallMs: settings.maxCallMs,
    maxResultBytes: settings.maxResultBytes,
    maxArgumentDepth: settings.maxArgumentDepth,
    maxBodyBytes: settings.maxBodyBytes,
    retryMs: 1000,
    streamAfterMs: STREAM_AFTER_MS,
    auditArguments: settings.auditArguments,
    sessionIdleMs: settings.sessionIdleMs,
  };

  const onEnd = (session: LocalSession, owner: boolean): Promise<void> | undefined => {
    session.stream?.end();
    for (const call of [...session.calls.values()])
      call.abort(new CallStopped("ended", "The session ended"));
    backendSessions.release(session);
    events.drop(session.key);
    return owner ? backendSessions.endAll(session) : undefined;
  };
  const sessions: Sessions = new Sessions({
    store,
    codec: sessionCodec(settings.sessionKeys),
    bus,
    clock,
    idleMs: settings.sessionIdleMs,
    max: settings.maxSessions,
    maxPerIdentity: settings.maxSessionsPerIdentity,
    onEnd,
  });
  const core: GatewayCore = {
    clock,
    settings: coreSettings,
    backends,
    backend: (label) => byLabel.get(label),
    catalog: () => routes,
    upstream,
    sessions,
    backendSessions: undefined as unknown as BackendSessions,
    bus,
    events,
    shares: new Shares(settings.maxBackendConnectionsPerIdentity),
    authenticator,
    limiters,
    telemetry,
    tracing: new ServerTracing(),
    logger,
    onListChanged: (backend) => bus.publish({ type: "catalog", backend: backend.label }),
  };
  const backendSessions: BackendSessions = new BackendSessions({
    upstream,
    sessions,
    clock,
    maxResultBytes: settings.maxResultBytes,
    backend: (label) => byLabel.get(label),
    toStream: (session, backend, target, text, envelope) => {
      const stream = session.stream;
      if (!stream) return undefined;
      return relay(
        upstream,
        {
          capabilities: session.record.capabilities,
          callId: null,
          ownProgressToken: undefined,
          backendTarget: target,
          send: (message) => stream.send(message),
          progressed: () => {},
        },
        backend,
        text,
        envelope,
        core.onListChanged,
      );
    },
  });
  (core as { backendSessions: BackendSessions }).backendSessions = backendSessions;
  const tools = new ToolCalls(core);
  const dispatcher = new Dispatcher(core, tools);
  const endpoint = new McpEndpoint(core, dispatcher, tools, addresses);

  const signatures = new Map<string, string>();
  const rebuild = () => {
    routes = new Routes(backends);
    for (const collision of routes.collisions) logger?.warn({ event: "name_collision" }, collision);
    dispatcher.invalidate();
    tools.retain(routes.tools);
    core.tracing.retain(routes.prompts);
    // Only what changed is announced, once per kind, to the GET streams held here.
    for (const kind of ["tools", "prompts", "resources"] as const) {
      const entries =
        kind === "resources"
          ? [...routes.resources, ...routes.templates]
          : [...(routes[kind] as Map<string, { item: unknown }>)];
      const signature = JSON.stringify(entries.map(([name, route]) => [name, route.item]));
      if (signatures.get(kind) === signature) continue;
      const first = !signatures.has(kind);
      signatures.set(kind, signature);
      if (first) continue;
      const text = JSON.stringify({ jsonrpc: "2.0", method: LIST_NOTIFICATIONS[kind] });
      for (const session of sessions.values()) session.stream?.send(text);
    }
  };

  bus.on((message) => {
    switch (message.type) {
      case "ended":
        sessions.forget(message.session);
        return;
      case "changed":
        void sessions.refresh(message.session).then((session) => {
          if (session?.stream) backendSessions.hold(session, session.streamCaller);
        });
        return;
      case "stream": {
        if (message.replica === bus.replica) return;
        // The client's GET stream moved to another replica: this one lets its copy go.
        const session = sessions.local(message.session);
        session?.stream?.end();
        return;
      }
      case "cancel":
        endpoint.cancel(
          message.scope,
          message.id,
          sessions.local(message.scope) !== undefined,
          true,
        );
        return;
      case "catalog":
        void byLabel.get(message.backend)?.refresh();
        return;
    }
  });

  const checks: Record<
    string,
    { critical: boolean; check: (context: { signal: AbortSignal }) => Promise<boolean> }
  > = Object.fromEntries(
    backends.map((backend) => [
      backend.label,
      {
        critical: false,
        check: async ({ signal }: { signal: AbortSignal }) =>
          backend.breaker.stats().state !== "open" && (await backend.ready(signal)),
      },
    ]),
  );
  // The session store: while Redis does not answer, known sessions go on and others get 503.
  if (gate) checks["session-store"] = { critical: false, check: async () => !gate.down };
  const health = createHealth({ checks, cacheMs: 500 });

  const endStreams = () => {
    for (const session of sessions.values()) session.stream?.end();
  };
  // Idle streams end when the drain ends, so that the server can close and the clients reconnect elsewhere.
  health.on("shutdownPhase", ({ phase }) => {
    if (phase === "closing") endStreams();
  });

  /** Stops everything this gateway opened (the server aside); safe on a half-started gateway. */
  const dispose = async () => {
    housekeeping?.stop();
    endStreams();
    for (const exchange of endpoint.exchanges) exchange.end();
    await sessions.closeAll();
    await Promise.all(backends.map((backend) => backend.close()));
    upstream.close();
    await Promise.all(Object.values(limiters).map((each: RateLimiter) => each.close()));
    await Promise.all([store.close(), events.close(), bus.close()]);
    gate?.close();
    if (ownTelemetry) telemetry.close();
    health.close?.();
  };
  let housekeeping: { stop(): void } | undefined;

  await Promise.all([...backends.map((backend) => backend.start()), redisBus?.start()]);
  try {
    new Routes(backends).assertNoCollisions();
  } catch (error) {
    await dispose();
    throw error;
  }
  started = true;
  rebuild();

  let ticks = 0;
  const sweepEvery = Math.max(1, Math.round(Math.min(settings.sessionIdleMs, 60_000) / TICK_MS));
  housekeeping = every(clock, TICK_MS, () => {
    ticks += 1;
    const now = clock.now();
    for (const exchange of endpoint.exchanges) {
      if (exchange.waitingAsJson && now - exchange.startedAt >= STREAM_AFTER_MS) exchange.stream();
      else if (ticks % KEEP_ALIVE_TICKS === 0) exchange.keepAlive();
    }
    if (ticks % KEEP_ALIVE_TICKS === 0)
      for (const session of sessions.values()) session.stream?.keepAlive();
    upstream.sweep();
    if (ticks % sweepEvery === 0) void sessions.sweep();
  });

  let served: Awaited<ReturnType<typeof serve>>;
  try {
    served = await serve({
      host: settings.host,
      port: settings.port,
      hosts,
      mcp: (req, res) => endpoint.handle(req, res),
      health: health.nodeHandler(),
      metrics: () => telemetry.metrics(),
      metricsContentType: telemetry.contentType,
      metricsToken: settings.metricsToken,
      logger,
    });
  } catch (error) {
    await dispose();
    throw error;
  }
  const { server, url } = served;

  let closing: Promise<void> | undefined;
  return {
    url,
    server,
    health,
    backends,
    stats: () => {
      let streams = 0;
      let calls = 0;
      for (const session of sessions.values()) {
        if (session.stream) streams += 1;
        calls += session.calls.size;
      }
      return { sessions: sessions.size, streams, calls };
    },
    close: () => {
      closing ??= (async () => {
        server.closeAllConnections();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await dispose();
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}

export type {
  Gateway,
  GatewayLogger,
  GatewayOptions,
  GatewayRedis,
  GatewayRedisSubscriber,
  GatewayStats,
  Limit,
} from "./options.ts";
