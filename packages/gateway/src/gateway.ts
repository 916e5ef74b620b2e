import { BREAKER_META_KEY, BreakerOpenError, createBreaker } from "@mcp-prod/breaker";
import { createHealth } from "@mcp-prod/health";
import {
  assertBoolean,
  assertKnownKeys,
  assertOptions,
  assertPositiveInteger,
  assertString,
} from "@mcp-prod/internal";
import { createRateLimiter, withRateLimit } from "@mcp-prod/ratelimit";
import { createTelemetry } from "@mcp-prod/telemetry";
import { type CallToolResult, ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { createAuthenticator } from "./auth.ts";
import { Backend, isBackendFailure } from "./backend.ts";
import { GatewayConfigError } from "./errors.ts";
import { depthExceeds, ForwardedError } from "./forward.ts";
import { serveGateway } from "./http.ts";
import {
  assertLimit,
  FOREIGN_KEYS,
  type Gateway,
  type GatewayOptions,
  isLoopback,
  KNOWN_KEYS,
  type Limit,
  mergeCapabilities,
  mergeInstructions,
} from "./options.ts";
import { type Route, Routes } from "./routes.ts";
import type { Extra, Session, SessionHost } from "./session.ts";
import { ServerTracing } from "./tracing.ts";

/** Where a tool call is routed, carried through the wrappers under this key. */
const CALL = Symbol("mcp-prod.gateway.call");
type ToolCallContext = { session: Session; route: Route<unknown>; params: Record<string, unknown> };
type ToolCallHandler = (
  args: unknown,
  extra: Extra & { [CALL]: ToolCallContext },
) => Promise<CallToolResult>;

/**
 * Starts an MCP gateway: one authenticated, rate-limited Streamable HTTP
 * endpoint (`/mcp`, with `/health*` and `/metrics`) in front of several
 * backend MCP servers, forwarding tools, prompts, resources, completions and
 * logging, their notifications and their requests to the client, with one
 * backend session per client session.
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
  assertOptions(options);
  assertKnownKeys(options, KNOWN_KEYS, "createGateway()", FOREIGN_KEYS);
  const {
    host = "127.0.0.1",
    port = 3000,
    auth = {},
    allowAnonymous = false,
    logger,
    redis,
    rateLimitStoreTimeoutMs = 5000,
    toolRateLimit = { points: 60, durationSeconds: 60 },
    requestRateLimit = { points: 600, durationSeconds: 60 },
    authFailureRateLimit = { points: 10, durationSeconds: 60 },
    rateLimitKeyPrefix = "mcp-gateway",
    breaker = {},
    backendTimeoutMs = 60_000,
    refreshIntervalMs = 60_000,
    maxBodyBytes = 1_048_576,
    maxArgumentDepth = 64,
    sessionIdleMs = 1_800_000,
    maxSessions = 10_000,
    auditArguments = false,
  } = options;
  if (!Array.isArray(options.backends) || options.backends.length === 0)
    throw new TypeError(
      `Expected \`backends\` to be a non-empty array, got ${JSON.stringify(options.backends)}`,
    );
  const prefixes = new Set<string>();
  for (const [index, backend] of options.backends.entries()) {
    assertOptions(backend, `backends[${index}]`);
    assertKnownKeys(backend, ["prefix", "url", "timeoutMs"], "createGateway() backends");
    if (typeof backend.url !== "string" || !URL.canParse(backend.url))
      throw new TypeError(
        `Expected \`backends[${index}].url\` to be a URL, got ${JSON.stringify(backend.url)}`,
      );
    if (backend.prefix !== undefined && !/^[a-z][a-z0-9_-]*$/.test(backend.prefix))
      throw new TypeError(
        `Expected \`backends[${index}].prefix\` to be lower-case letters, digits, - or _, starting with a letter, got ${JSON.stringify(backend.prefix)}`,
      );
    if (backend.prefix !== undefined && prefixes.has(backend.prefix))
      throw new GatewayConfigError(`Two backends use the prefix ${backend.prefix}`);
    if (backend.prefix !== undefined) prefixes.add(backend.prefix);
    assertPositiveInteger(backend.timeoutMs, `backends[${index}].timeoutMs`, true);
  }
  assertString(host, "host");
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new TypeError(`Expected \`port\` to be an integer from 0 to 65535, got ${String(port)}`);
  assertBoolean(allowAnonymous, "allowAnonymous");
  assertBoolean(auditArguments, "auditArguments");
  for (const [name, value] of Object.entries({
    rateLimitStoreTimeoutMs,
    backendTimeoutMs,
    maxBodyBytes,
    maxArgumentDepth,
    sessionIdleMs,
    maxSessions,
  }))
    assertPositiveInteger(value, name);
  if (!Number.isInteger(refreshIntervalMs) || refreshIntervalMs < 0)
    throw new TypeError(
      `Expected \`refreshIntervalMs\` to be a non-negative integer, got ${String(refreshIntervalMs)}`,
    );
  assertLimit(toolRateLimit, "toolRateLimit");
  assertLimit(requestRateLimit, "requestRateLimit");
  assertLimit(authFailureRateLimit, "authFailureRateLimit");
  assertOptions(breaker, "breaker");
  assertKnownKeys(
    breaker,
    ["resetTimeout", "volumeThreshold", "errorThresholdPercentage"],
    "createGateway() breaker",
    {
      timeout: "use `backendTimeoutMs` of the gateway (the breaker never cuts a call itself)",
    },
  );

  const authenticator = createAuthenticator(auth);
  const loopback = isLoopback(host);
  if (!authenticator.enabled && !loopback && !allowAnonymous) {
    throw new GatewayConfigError(
      `Refusing to serve without authentication on ${host}: set GATEWAY_API_KEYS or OAUTH_ISSUER (auth), bind to a loopback address, or set GATEWAY_ALLOW_ANONYMOUS=true (allowAnonymous) to accept it`,
    );
  }
  if (!authenticator.enabled)
    logger?.warn(
      { event: "anonymous", host },
      "no credentials configured: every request is served without authentication",
    );

  const telemetry = options.telemetry ?? createTelemetry({ serviceName: "mcp-gateway" });
  const sessions = new Set<Session>();
  const tracing = new ServerTracing();
  let routes = new Routes([]);
  const signatures = new Map<string, string>();
  const rebuild = () => {
    routes = new Routes(backends);
    for (const collision of routes.collisions) logger?.warn({ event: "name_collision" }, collision);
    // Only what changed is announced, once per kind.
    for (const kind of ["tools", "prompts", "resources"] as const) {
      const map =
        kind === "resources"
          ? [...routes.resources.keys(), ...routes.templates.keys()]
          : [...routes[kind].keys()];
      const items =
        kind === "resources"
          ? [...routes.resources.values(), ...routes.templates.values()]
          : [...routes[kind].values()];
      const signature = JSON.stringify([map, items.map((route) => route.item)]);
      if (signatures.get(kind) === signature) continue;
      const first = !signatures.has(kind);
      signatures.set(kind, signature);
      if (!first) for (const session of sessions) session.notifyListChanged(kind);
    }
    for (const name of handlers.keys()) if (!routes.tools.has(name)) handlers.delete(name);
    tracing.retain(routes.prompts);
  };
  const backends = options.backends.map(
    (config) => new Backend(config, { refreshIntervalMs, onChange: () => started && rebuild() }),
  );
  let started = false;

  const limiterStore = redis ? { redis, storeTimeoutMs: rateLimitStoreTimeoutMs } : {};
  const limiter = (name: string, limit: Limit) =>
    createRateLimiter({
      name: `gateway-${name}`,
      keyPrefix: `${rateLimitKeyPrefix}:${name}`,
      ...limit,
      ...limiterStore,
    });
  const requestLimiter = limiter("requests", requestRateLimit);
  const toolLimiter = limiter("tools", toolRateLimit);
  const authFailureLimiter = limiter("auth-failures", authFailureRateLimit);
  for (const each of [requestLimiter, toolLimiter, authFailureLimiter])
    telemetry.observeRateLimiter(each);

  // One breaker per backend: backends are known, so the name is a bounded metric label.
  const breakers = new Map(
    backends.map((backend) => {
      const instance = createBreaker(
        async ({ signal }, run: (signal: AbortSignal) => Promise<unknown>) => run(signal),
        {
          name: `backend:${backend.label}`,
          abortable: true,
          // The call's own timeout (reset on progress) bounds it; the breaker never cuts it.
          timeout: false,
          resetTimeout: breaker.resetTimeout ?? 10_000,
          volumeThreshold: breaker.volumeThreshold ?? 5,
          errorThresholdPercentage: breaker.errorThresholdPercentage ?? 50,
          // Only the backend failing counts: its JSON-RPC errors, input errors and cancellations do not.
          errorFilter: (error) => !isBackendFailure(error),
        },
      );
      telemetry.observeBreaker(instance);
      return [backend, instance] as const;
    }),
  );
  const guard = async <T>(
    backend: Backend,
    signal: AbortSignal,
    run: (signal: AbortSignal) => Promise<T>,
  ) => {
    try {
      return (await (
        breakers.get(backend) as typeof breakers extends Map<Backend, infer B> ? B : never
      ).fireWith({ signal }, run as (signal: AbortSignal) => Promise<unknown>)) as T;
    } catch (error) {
      // Unreachable, not merely slow: reconnect in the background.
      if (isBackendFailure(error) && !(error instanceof McpError) && !signal.aborted)
        backend.markDown();
      throw error;
    }
  };

  const audit = (
    session: Session,
    tool: string,
    outcome: string,
    startedAt: number,
    args: unknown,
  ) =>
    logger?.info(
      {
        event: "audit",
        clientId: session.caller?.clientId,
        subject: session.caller?.extra?.subject,
        tool,
        outcome,
        durationMs: Math.round((performance.now() - startedAt) * 100) / 100,
        ...(auditArguments ? { arguments: args } : {}),
      },
      "tool call",
    );

  // One wrapped handler per known tool name; names leave with the backend's list, so this stays bounded.
  const handlers = new Map<string, ToolCallHandler>();
  const forwardTool: ToolCallHandler = async (_args, extra) => {
    const { session, route, params } = extra[CALL];
    try {
      return (await guard(route.backend, extra.signal, (signal) =>
        session.forward(route.backend, "tools/call", params, extra, signal),
      )) as CallToolResult;
    } catch (error) {
      if (BreakerOpenError.isInstance(error)) {
        return {
          content: [{ type: "text", text: "Service temporarily unavailable" }],
          isError: true,
          _meta: { [BREAKER_META_KEY]: { open: true, retryAfterMs: error.retryAfterMs } },
        };
      }
      if (error instanceof ForwardedError || extra.signal.aborted || !isBackendFailure(error))
        throw error;
      // As an MCP server does for a failing handler: the model sees the failure as a result.
      return {
        content: [
          {
            type: "text",
            text: `${params.name as string} failed: backend ${route.backend.label} ${
              error instanceof McpError && error.code === ErrorCode.RequestTimeout
                ? "did not answer in time"
                : "is unavailable"
            }`,
          },
        ],
        isError: true,
      };
    }
  };
  const handlerFor = (name: string): ToolCallHandler => {
    let handler = handlers.get(name);
    if (!handler) {
      handler = telemetry.wrap(
        name,
        withRateLimit(forwardTool, {
          limiter: toolLimiter,
          tool: name,
          key: (_args, extra) =>
            (extra as unknown as { [CALL]: ToolCallContext })[CALL].session.limitKey,
        }),
      );
      handlers.set(name, handler);
    }
    return handler;
  };

  const host_: SessionHost = {
    backends,
    routes: () => routes,
    capabilities: () => mergeCapabilities(backends),
    instructions: () => mergeInstructions(backends),
    allowed: (caller, name, backend) =>
      !caller || authenticator.scopeFailure(caller, name, backend.prefix) === undefined,
    timeoutMs: (backend) => backend.timeoutMs ?? backendTimeoutMs,
    guard,
    tracing,
    callTool: async (session, route, exposed, params, extra) => {
      const startedAt = performance.now();
      const args = params.arguments;
      if (depthExceeds(args, maxArgumentDepth))
        throw new McpError(
          ErrorCode.InvalidParams,
          `Arguments of ${exposed} nest deeper than ${maxArgumentDepth} levels`,
        );
      if (JSON.stringify(params).length > maxBodyBytes)
        throw new McpError(
          ErrorCode.InvalidParams,
          `Arguments of ${exposed} exceed ${maxBodyBytes} bytes once serialised`,
        );
      try {
        const result = await handlerFor(exposed)(args, {
          ...extra,
          [CALL]: { session, route, params },
        });
        audit(session, exposed, result.isError ? "error_result" : "success", startedAt, args);
        return result;
      } catch (error) {
        audit(session, exposed, extra.signal.aborted ? "cancelled" : "error", startedAt, args);
        throw error;
      }
    },
  };

  const health = createHealth({
    checks: Object.fromEntries(
      backends.map((backend) => [
        backend.label,
        {
          critical: false,
          check: async ({ signal }) =>
            breakers.get(backend)?.stats().state !== "open" && (await backend.ready(signal)),
        },
      ]),
    ),
    cacheMs: 500,
  });

  await Promise.all(backends.map((backend) => backend.start()));
  const initial = new Routes(backends);
  try {
    initial.assertNoCollisions();
  } catch (error) {
    await Promise.all(backends.map((backend) => backend.close()));
    throw error;
  }
  started = true;
  rebuild();

  const served = await serveGateway({
    host,
    port,
    loopback,
    authenticator,
    sessionHost: host_,
    sessions,
    requestLimiter,
    authFailureLimiter,
    healthHandler: health.nodeHandler(),
    metricsHandler: telemetry.metricsHandler(),
    maxBodyBytes,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins ?? [],
    sessionIdleMs,
    maxSessions,
    logger,
  });

  return {
    url: served.url,
    server: served.server,
    health,
    backends,
    close: async () => {
      await served.close();
      await Promise.all(backends.map((backend) => backend.close()));
      for (const instance of breakers.values()) instance.close();
      health.close?.();
    },
  };
}

export type { Gateway, GatewayLogger, GatewayOptions, Limit } from "./options.ts";
