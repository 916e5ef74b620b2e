import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import { type Breaker, type BreakerCall, createBreaker, withBreaker } from "@mcp-prod/breaker";
import { createHealth, type Health } from "@mcp-prod/health";
import {
  createRateLimiter,
  RateLimitExceededError,
  type RateLimiter,
  withRateLimit,
  writeRateLimitResponse,
} from "@mcp-prod/ratelimit";
import type { Telemetry } from "@mcp-prod/telemetry";
import { serveMcp, sharedJsonSchemaValidator } from "@mcp-prod-examples/kit";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "pino";
import { type AuthOptions, createAuthenticator, isAuthFailure } from "./auth.ts";
import { Backend, type BackendConfig } from "./backends.ts";

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;
type RedisLike = NonNullable<Parameters<typeof createRateLimiter>[0]["redis"]>;

export type GatewayOptions = {
  readonly host: string;
  readonly port: number;
  readonly backends: readonly BackendConfig[];
  readonly auth: AuthOptions;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  /** Shared rate-limit store for several replicas; unset: in memory, per replica. */
  readonly redis?: RedisLike | undefined;
  /** Tool calls per client and tool. */
  readonly toolRateLimit: { readonly points: number; readonly durationSeconds: number };
  /** HTTP requests per client: over it, 429 with Retry-After. */
  readonly requestRateLimit: { readonly points: number; readonly durationSeconds: number };
  /** Per-backend circuit breaker. */
  readonly breaker?: {
    readonly timeout?: number;
    readonly resetTimeout?: number;
    readonly volumeThreshold?: number;
  };
  readonly maxBodyBytes?: number;
  readonly allowedHosts?: readonly string[] | undefined;
  readonly allowedOrigins?: readonly string[] | undefined;
  /** Prefix of the rate-limit keys in the shared store. @default "mcp-gateway" */
  readonly rateLimitKeyPrefix?: string;
  /** Put tool arguments in the audit log (never done by default). */
  readonly auditArguments?: boolean;
};

export type Gateway = {
  readonly url: string;
  readonly server: HttpServer;
  readonly health: Health;
  readonly backends: readonly Backend[];
  readonly breakers: { for(prefix: string): GatewayBreaker };
  close(): Promise<void>;
};

type GatewayBreaker = Breaker<[call: ForwardedCall], CallToolResult>;
type ForwardedCall = {
  backend: Backend;
  tool: string;
  args: Record<string, unknown> | undefined;
  extra: Extra;
};

function sendAuthFailure(
  res: ServerResponse,
  failure: { status: number; wwwAuthenticate: string; message: string },
): void {
  res
    .writeHead(failure.status, {
      "content-type": "application/json",
      "www-authenticate": failure.wwwAuthenticate,
    })
    .end(
      JSON.stringify({
        jsonrpc: "2.0",
        error: { code: -32001, message: failure.message },
        id: null,
      }),
    );
}

/** The tool names a JSON-RPC body (one message or a batch) calls. */
function calledTools(body: unknown): string[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.flatMap((message) => {
    const { method, params } = (message ?? {}) as { method?: unknown; params?: { name?: unknown } };
    return method === "tools/call" && typeof params?.name === "string" ? [params.name] : [];
  });
}

/**
 * The gateway: one authenticated, rate-limited Streamable HTTP MCP endpoint
 * in front of several backend MCP servers, their tools exposed as
 * `<prefix>.<tool>`.
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { telemetry, logger } = options;
  const authenticator = createAuthenticator(options.auth);
  const backends = options.backends.map((config) => new Backend(config));
  const byPrefix = new Map(backends.map((backend) => [backend.prefix, backend]));

  const limiterStore = options.redis ? { redis: options.redis } : {};
  const requestLimiter: RateLimiter = createRateLimiter({
    name: "gateway-requests",
    keyPrefix: `${options.rateLimitKeyPrefix ?? "mcp-gateway"}:requests`,
    ...options.requestRateLimit,
    ...limiterStore,
  });
  const toolLimiter: RateLimiter = createRateLimiter({
    name: "gateway-tools",
    keyPrefix: `${options.rateLimitKeyPrefix ?? "mcp-gateway"}:tools`,
    ...options.toolRateLimit,
    ...limiterStore,
  });
  telemetry.observeRateLimiter(requestLimiter);
  telemetry.observeRateLimiter(toolLimiter);

  const forwardCall = async (
    { signal }: BreakerCall,
    call: ForwardedCall,
  ): Promise<CallToolResult> => {
    const progressToken = call.extra._meta?.progressToken;
    return call.backend.callTool(call.tool, call.args, {
      signal,
      auth: call.extra.authInfo,
      onprogress:
        progressToken === undefined
          ? undefined
          : (progress) =>
              void call.extra
                .sendNotification({
                  method: "notifications/progress",
                  params: { progressToken, ...progress },
                })
                .catch(() => {}),
    });
  };
  // One breaker per backend, named after it: the backends are known, so the name is a bounded metric label.
  const breakerByPrefix = new Map(
    backends.map((backend) => [
      backend.prefix,
      createBreaker(forwardCall, {
        name: `backend:${backend.prefix}`,
        abortable: true,
        timeout: options.breaker?.timeout ?? 30_000,
        resetTimeout: options.breaker?.resetTimeout ?? 10_000,
        volumeThreshold: options.breaker?.volumeThreshold ?? 5,
        errorThresholdPercentage: 50,
      }),
    ]),
  );
  const breakers = {
    for: (prefix: string) => breakerByPrefix.get(prefix) as GatewayBreaker,
    shutdown: () => {
      for (const breaker of breakerByPrefix.values()) breaker.shutdown();
    },
  };
  for (const breaker of breakerByPrefix.values()) telemetry.observeBreaker(breaker);

  // One wrapped handler per exposed tool, built once so breaker and limiter state is shared by every request.
  const handlers = new Map<
    string,
    (args: Record<string, unknown> | undefined, extra: Extra) => Promise<CallToolResult>
  >();
  const handlerFor = (name: string, backend: Backend, tool: string) => {
    let handler = handlers.get(name);
    if (handler) return handler;
    // withBreaker runs this under the backend's breaker with the call's own signal in `extra`.
    const forward = async (
      args: Record<string, unknown> | undefined,
      extra: Extra,
    ): Promise<CallToolResult> =>
      forwardCall({ signal: extra.signal } as BreakerCall, { backend, tool, args, extra });
    handler = telemetry.wrap(
      name,
      withRateLimit(
        withBreaker(forward, { breaker: breakers.for(backend.prefix), countErrorResults: false }),
        { limiter: toolLimiter, tool: name, key: (_args, extra) => extra.authInfo?.clientId },
      ),
    );
    handlers.set(name, handler);
    return handler;
  };

  const audit = (
    auth: AuthInfo | undefined,
    tool: string,
    outcome: string,
    startedAt: number,
    args: unknown,
  ) => {
    logger.info(
      {
        event: "audit",
        clientId: auth?.clientId,
        subject: auth?.extra?.subject,
        tool,
        outcome,
        durationMs: Math.round((performance.now() - startedAt) * 100) / 100,
        ...(options.auditArguments ? { arguments: args } : {}),
      },
      "tool call",
    );
  };

  const createMcpServer = () => {
    const server = new Server(
      { name: "mcp-gateway", version: "0.0.0" },
      {
        capabilities: { tools: { listChanged: true } },
        jsonSchemaValidator: sharedJsonSchemaValidator,
      },
    );
    server.setRequestHandler(ListToolsRequestSchema, async (_request, extra) => {
      const scopes = extra.authInfo?.scopes ?? [];
      const tools = backends.flatMap((backend) =>
        backend.tools
          .map((tool) => ({ ...tool, name: `${backend.prefix}.${tool.name}` }))
          .filter(
            (tool) =>
              !extra.authInfo || !authenticator.authorize({ ...extra.authInfo, scopes }, tool.name),
          ),
      );
      return { tools };
    });
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const startedAt = performance.now();
      const name = request.params.name;
      const dot = name.indexOf(".");
      const backend = dot > 0 ? byPrefix.get(name.slice(0, dot)) : undefined;
      const tool = dot > 0 ? name.slice(dot + 1) : name;
      if (
        !backend ||
        (backend.state === "up" && !backend.tools.some((entry) => entry.name === tool))
      ) {
        audit(extra.authInfo, name, "unknown_tool", startedAt, request.params.arguments);
        return { content: [{ type: "text", text: `Unknown tool ${name}.` }], isError: true };
      }
      try {
        const result = await handlerFor(name, backend, tool)(request.params.arguments, extra);
        audit(
          extra.authInfo,
          name,
          result.isError ? "error_result" : "success",
          startedAt,
          request.params.arguments,
        );
        return result;
      } catch (error) {
        if (extra.signal.aborted) {
          audit(extra.authInfo, name, "cancelled", startedAt, request.params.arguments);
          throw error;
        }
        audit(extra.authInfo, name, "error", startedAt, request.params.arguments);
        // As McpServer does for a throwing handler: the model sees the failure as a result.
        const message = error instanceof Error ? error.message : String(error);
        return { content: [{ type: "text", text: `${name} failed: ${message}` }], isError: true };
      }
    });
    return server;
  };

  const health = createHealth({
    checks: Object.fromEntries(
      backends.map((backend) => [
        backend.prefix,
        {
          critical: false,
          check: () =>
            backend.state === "up" && breakers.for(backend.prefix).stats().state !== "open",
        },
      ]),
    ),
    cacheMs: 500,
  });

  await Promise.all(backends.map((backend) => backend.start()));

  const authenticate = async (req: IncomingMessage, res: ServerResponse) => {
    const result = await authenticator.authenticate(req);
    if (isAuthFailure(result)) {
      logger.warn(
        { event: "auth_refused", status: result.status, reason: result.message },
        "request refused",
      );
      sendAuthFailure(res, result);
      return false as const;
    }
    try {
      await requestLimiter.consume(result.clientId);
    } catch (error) {
      if (!RateLimitExceededError.isInstance(error)) throw error;
      writeRateLimitResponse(res, error);
      return false as const;
    }
    return result;
  };

  const authorize = (body: unknown, auth: AuthInfo | undefined, res: ServerResponse) => {
    if (!auth) return true;
    for (const tool of calledTools(body)) {
      const failure = authenticator.authorize(auth, tool);
      if (failure) {
        logger.warn(
          { event: "auth_refused", status: 403, clientId: auth.clientId, tool },
          "missing scope",
        );
        sendAuthFailure(res, failure);
        return false;
      }
    }
    return true;
  };

  const { server, url } = await serveMcp({
    host: options.host,
    port: options.port,
    createMcpServer,
    authenticate,
    authorize,
    healthHandler: health.nodeHandler(),
    metricsHandler: telemetry.metricsHandler(),
    ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
  });

  return {
    url,
    server,
    health,
    backends,
    breakers,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(backends.map((backend) => backend.close()));
      breakers.shutdown();
      health.close?.();
    },
  };
}
