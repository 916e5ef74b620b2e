import type { Server as HttpServer } from "node:http";
import type { Health } from "@mcp-prod/health";
import {
  assertBoolean,
  assertKnownKeys,
  assertOptions,
  assertPositiveInteger,
  assertString,
  optionKeys,
} from "@mcp-prod/internal";
import type { RedisClientLike } from "@mcp-prod/ratelimit";
import type { Telemetry } from "@mcp-prod/telemetry";
import type { AuthOptions } from "./auth.ts";
import type { Backend, BackendConfig } from "./backend.ts";
import { type Clock, systemClock } from "./clock.ts";
import { GatewayConfigError } from "./errors.ts";
import { MIN_SESSION_KEY_LENGTH } from "./session-codec.ts";

/** The logger the gateway writes its audit and refusal lines to (a pino logger fits). */
export type GatewayLogger = {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
};

/** A limit of `points` per `durationSeconds`. */
export type Limit = { readonly points: number; readonly durationSeconds: number };

/**
 * The part of an ioredis client the gateway uses: any command (`call`) for
 * sessions and streams, and a second connection (`duplicate()`) for its bus.
 */
export type GatewayRedis = RedisClientLike & {
  call(command: string, ...args: Array<string | number>): Promise<unknown>;
  duplicate(): GatewayRedisSubscriber;
};

/** The connection the gateway subscribes its bus on (one it opens, and closes). */
export type GatewayRedisSubscriber = {
  readonly status: string;
  subscribe(...channels: string[]): Promise<unknown>;
  on(event: "message", listener: (channel: string, message: string) => void): unknown;
  on(event: "ready" | "error", listener: () => void): unknown;
  disconnect(): void;
};

/** Options of `createGateway()`. */
export type GatewayOptions = {
  /** The backend MCP servers. */
  readonly backends: readonly BackendConfig[];
  /** Address to listen on. @default "127.0.0.1" */
  readonly host?: string;
  /** Port to listen on; `0` picks a free one. @default 3000 */
  readonly port?: number;
  /** JWT issuer and API keys. Without either, requests are anonymous (see `allowAnonymous`). @default {} */
  readonly auth?: AuthOptions;
  /**
   * Serve without authentication on a non-loopback address. Without
   * credentials configured, the gateway refuses to start on such an address
   * unless this is true (`GATEWAY_ALLOW_ANONYMOUS`).
   * @default false
   */
  readonly allowAnonymous?: boolean;
  /** Metrics and per-call logs. @default a telemetry of its own (`serviceName: "mcp-gateway"`), closed by `close()` */
  readonly telemetry?: Telemetry;
  /** Audit, refusal and warning lines. @default none */
  readonly logger?: GatewayLogger;
  /**
   * Redis (an ioredis client), shared by every replica: sessions, resumable
   * streams, messages between replicas and the rate limits (`REDIS_URL`).
   * The gateway opens one more connection from it (`duplicate()`) for its
   * bus, and closes that one; the client itself stays yours.
   * @default none: everything in this process (one replica)
   */
  readonly redis?: GatewayRedis;
  /**
   * Keys that seal session ids (`GATEWAY_SESSION_KEY`, then
   * `GATEWAY_SESSION_KEY_PREVIOUS` during a rotation), at least 32
   * characters each: the first seals new ids, every one opens them. Sealed,
   * an id discloses nothing and is refused by any replica once forged,
   * altered or presented by another identity. Replicas share the same keys.
   * @default none: ids are random keys of the session record
   */
  readonly sessionKeys?: readonly string[];
  /**
   * How long a Redis command may take before the gateway decides without it
   * (rate limits fall back to this replica's counts, an unknown session gets
   * 503). After one such timeout the gateway stops asking Redis until it
   * answers again.
   * @default 1000
   */
  readonly rateLimitStoreTimeoutMs?: number;
  /** Tool calls per client and tool. @default { points: 60, durationSeconds: 60 } */
  readonly toolRateLimit?: Limit;
  /** Messages per client (a batch costs one per message); over it, 429 with `Retry-After`. @default { points: 600, durationSeconds: 60 } */
  readonly requestRateLimit?: Limit;
  /** Failed authentications per remote address; over it, 429 with `Retry-After`. @default { points: 10, durationSeconds: 60 } */
  readonly authFailureRateLimit?: Limit;
  /** Prefix of every key in Redis. @default "mcp-gateway" */
  readonly rateLimitKeyPrefix?: string;
  /** Per-backend circuit breaker; only backend failures (unreachable, broken, timeout, 5xx) count. */
  readonly breaker?: {
    /** @default 10000 */
    readonly resetTimeout?: number;
    /** @default 5 */
    readonly volumeThreshold?: number;
    /** @default 50 */
    readonly errorThresholdPercentage?: number;
  };
  /**
   * Call timeout for every backend, counted from the moment the gateway
   * accepts the call (a wait for a connection included) and started over by
   * each progress notification (`GATEWAY_BACKEND_TIMEOUT_MS`).
   * @default 60000
   */
  readonly backendTimeoutMs?: number;
  /** The longest any call may run, progress or not (`GATEWAY_MAX_CALL_MS`). @default 900000 (15 min) */
  readonly maxCallMs?: number;
  /** How often each backend's lists are re-read besides on `list_changed`; `0` never. @default 60000 */
  readonly refreshIntervalMs?: number;
  /** Largest accepted request body, and largest re-serialised tool arguments. @default 1048576 */
  readonly maxBodyBytes?: number;
  /**
   * Largest message accepted from a backend (`GATEWAY_MAX_RESULT_BYTES`): a
   * larger one is refused while it streams in, never held whole.
   * @default 16777216 (16 MB)
   */
  readonly maxResultBytes?: number;
  /** Deepest accepted nesting of tool arguments. @default 64 */
  readonly maxArgumentDepth?: number;
  /** Accepted Host values. @default loopback hosts when bound to loopback, else any */
  readonly allowedHosts?: readonly string[] | undefined;
  /** Accepted browser Origins besides loopback ones. @default [] */
  readonly allowedOrigins?: readonly string[] | undefined;
  /**
   * Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the
   * client (`GATEWAY_TRUSTED_PROXIES`); from anyone else the header is ignored.
   * @default []
   */
  readonly trustedProxies?: readonly string[];
  /** A bearer token `/metrics` requires (`GATEWAY_METRICS_TOKEN`). @default none: open, behind the Host rules */
  readonly metricsToken?: string | undefined;
  /** A client session unused this long is closed, on every replica. @default 1800000 (30 min) */
  readonly sessionIdleMs?: number;
  /** Most client sessions; beyond, new sessions get 503. @default 10000 */
  readonly maxSessions?: number;
  /** Most sessions one identity may hold; beyond, its new sessions get 429. @default 1000 */
  readonly maxSessionsPerIdentity?: number;
  /** Connections to each backend (calls beyond wait for one, within their timeout). @default 256 */
  readonly maxBackendConnections?: number;
  /** Calls one identity may have in flight to one backend; beyond, refused. @default 64 */
  readonly maxBackendConnectionsPerIdentity?: number;
  /** Events kept per session for resumed streams. @default 1000 */
  readonly resumeMaxEvents?: number;
  /** How long events are kept for resumed streams. @default 300000 (5 min) */
  readonly resumeMaxAgeMs?: number;
  /** Put tool arguments in the audit log. @default false */
  readonly auditArguments?: boolean;
  /** Where time comes from (timeouts, idle expiry); tests pass their own. @default the process clock */
  readonly clock?: Clock;
};

/** What `createGateway()` returns. */
export type Gateway = {
  /** `http://host:port`; MCP is served at `${url}/mcp`. */
  readonly url: string;
  /** The listening HTTP server (hand it to `health.gracefulShutdown`). */
  readonly server: HttpServer;
  /** Liveness and readiness, including each backend's own readiness and the session store. */
  readonly health: Health;
  /** The backends, with their state and last-read lists. */
  readonly backends: readonly Backend[];
  /** What this replica holds now: sessions cached, GET streams, calls in flight. */
  stats(): GatewayStats;
  /** Closes every session stream, backend connection, limiter, timer and the HTTP server. */
  close(): Promise<void>;
};

/** What {@link Gateway.stats} reports. */
export type GatewayStats = {
  readonly sessions: number;
  readonly streams: number;
  readonly calls: number;
};

const KNOWN_KEYS = optionKeys<GatewayOptions>({
  backends: true,
  host: true,
  port: true,
  auth: true,
  allowAnonymous: true,
  telemetry: true,
  logger: true,
  redis: true,
  sessionKeys: true,
  rateLimitStoreTimeoutMs: true,
  toolRateLimit: true,
  requestRateLimit: true,
  authFailureRateLimit: true,
  rateLimitKeyPrefix: true,
  breaker: true,
  backendTimeoutMs: true,
  maxCallMs: true,
  refreshIntervalMs: true,
  maxBodyBytes: true,
  maxResultBytes: true,
  maxArgumentDepth: true,
  allowedHosts: true,
  allowedOrigins: true,
  trustedProxies: true,
  metricsToken: true,
  sessionIdleMs: true,
  maxSessions: true,
  maxSessionsPerIdentity: true,
  maxBackendConnections: true,
  maxBackendConnectionsPerIdentity: true,
  resumeMaxEvents: true,
  resumeMaxAgeMs: true,
  auditArguments: true,
  clock: true,
});
const FOREIGN_KEYS = {
  timeout: "use `backendTimeoutMs` (milliseconds)",
  timeoutMs: "use `backendTimeoutMs` (milliseconds)",
  servers: "use `backends`",
  targets: "use `backends`",
  sessionKey: "use `sessionKeys` (an array: the current key, then the previous one)",
};
const BACKEND_KEYS = optionKeys<BackendConfig>({ prefix: true, url: true, timeoutMs: true });
const BREAKER_KEYS = optionKeys<NonNullable<GatewayOptions["breaker"]>>({
  resetTimeout: true,
  volumeThreshold: true,
  errorThresholdPercentage: true,
});

export const isLoopback = (host: string) =>
  /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/i.test(host);

function assertLimit(value: unknown, name: string): void {
  if (value === undefined) return;
  assertOptions(value, name);
  assertKnownKeys(
    value as object,
    optionKeys<Limit>({ points: true, durationSeconds: true }),
    name,
  );
  assertPositiveInteger((value as Limit).points, `${name}.points`);
  assertPositiveInteger((value as Limit).durationSeconds, `${name}.durationSeconds`);
}

function assertStrings(value: unknown, name: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string"))
    throw new TypeError(
      `Expected \`${name}\` to be an array of strings, got ${JSON.stringify(value)}`,
    );
}

/** Every option with its default, validated once. */
export function readOptions(options: GatewayOptions) {
  assertOptions(options);
  assertKnownKeys(options, KNOWN_KEYS, "createGateway()", FOREIGN_KEYS);
  const {
    host = "127.0.0.1",
    port = 3000,
    auth = {},
    allowAnonymous = false,
    rateLimitStoreTimeoutMs = 1000,
    toolRateLimit = { points: 60, durationSeconds: 60 },
    requestRateLimit = { points: 600, durationSeconds: 60 },
    authFailureRateLimit = { points: 10, durationSeconds: 60 },
    rateLimitKeyPrefix = "mcp-gateway",
    backendTimeoutMs = 60_000,
    maxCallMs = 900_000,
    refreshIntervalMs = 60_000,
    maxBodyBytes = 1_048_576,
    maxResultBytes = 16_777_216,
    maxArgumentDepth = 64,
    allowedOrigins = [],
    trustedProxies = [],
    sessionKeys = [],
    sessionIdleMs = 1_800_000,
    maxSessions = 10_000,
    maxSessionsPerIdentity = 1000,
    maxBackendConnections = 256,
    maxBackendConnectionsPerIdentity = 64,
    resumeMaxEvents = 1000,
    resumeMaxAgeMs = 300_000,
    auditArguments = false,
    clock = systemClock,
  } = options;
  const settings = {
    backends: options.backends,
    host,
    port,
    auth,
    allowAnonymous,
    telemetry: options.telemetry,
    logger: options.logger,
    redis: options.redis,
    rateLimitStoreTimeoutMs,
    toolRateLimit,
    requestRateLimit,
    authFailureRateLimit,
    rateLimitKeyPrefix,
    backendTimeoutMs,
    maxCallMs,
    refreshIntervalMs,
    maxBodyBytes,
    maxResultBytes,
    maxArgumentDepth,
    allowedHosts: options.allowedHosts,
    allowedOrigins,
    trustedProxies,
    metricsToken: options.metricsToken,
    sessionKeys,
    sessionIdleMs,
    maxSessions,
    maxSessionsPerIdentity,
    maxBackendConnections,
    maxBackendConnectionsPerIdentity,
    resumeMaxEvents,
    resumeMaxAgeMs,
    auditArguments,
    clock,
    breaker: {
      resetTimeout: options.breaker?.resetTimeout ?? 10_000,
      volumeThreshold: options.breaker?.volumeThreshold ?? 5,
      errorThresholdPercentage: options.breaker?.errorThresholdPercentage ?? 50,
    },
  };
  if (!Array.isArray(options.backends) || options.backends.length === 0)
    throw new TypeError(
      `Expected \`backends\` to be a non-empty array, got ${JSON.stringify(options.backends)}`,
    );
  const prefixes = new Set<string>();
  for (const [index, backend] of options.backends.entries()) {
    assertOptions(backend, `backends[${index}]`);
    assertKnownKeys(backend, BACKEND_KEYS, "createGateway() backends");
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
  assertString(settings.host, "host");
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new TypeError(`Expected \`port\` to be an integer from 0 to 65535, got ${String(port)}`);
  assertBoolean(settings.allowAnonymous, "allowAnonymous");
  assertBoolean(settings.auditArguments, "auditArguments");
  for (const name of [
    "rateLimitStoreTimeoutMs",
    "backendTimeoutMs",
    "maxCallMs",
    "maxBodyBytes",
    "maxResultBytes",
    "maxArgumentDepth",
    "sessionIdleMs",
    "maxSessions",
    "maxSessionsPerIdentity",
    "maxBackendConnections",
    "maxBackendConnectionsPerIdentity",
    "resumeMaxEvents",
    "resumeMaxAgeMs",
  ] as const)
    assertPositiveInteger(settings[name], name);
  if (!Number.isInteger(refreshIntervalMs) || refreshIntervalMs < 0)
    throw new TypeError(
      `Expected \`refreshIntervalMs\` to be a non-negative integer, got ${String(refreshIntervalMs)}`,
    );
  assertLimit(options.toolRateLimit, "toolRateLimit");
  assertLimit(options.requestRateLimit, "requestRateLimit");
  assertLimit(options.authFailureRateLimit, "authFailureRateLimit");
  assertOptions(options.breaker ?? {}, "breaker");
  assertKnownKeys(options.breaker ?? {}, BREAKER_KEYS, "createGateway() breaker", {
    timeout: "use `backendTimeoutMs` of the gateway (the breaker never cuts a call itself)",
  });
  assertStrings(options.allowedHosts, "allowedHosts");
  assertStrings(options.allowedOrigins, "allowedOrigins");
  assertStrings(options.trustedProxies, "trustedProxies");
  assertStrings(options.sessionKeys, "sessionKeys");
  for (const [index, key] of settings.sessionKeys.entries()) {
    if (key.length < MIN_SESSION_KEY_LENGTH)
      throw new TypeError(
        `Expected \`sessionKeys[${index}]\` to be at least ${MIN_SESSION_KEY_LENGTH} characters (GATEWAY_SESSION_KEY)`,
      );
  }
  if (options.metricsToken !== undefined) assertString(options.metricsToken, "metricsToken");
  return settings;
}

export type Settings = ReturnType<typeof readOptions>;
