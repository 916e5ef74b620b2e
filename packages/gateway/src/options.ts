import type { Server as HttpServer } from "node:http";
import type { Health } from "@mcp-prod/health";
import { assertOptions, assertPositiveInteger } from "@mcp-prod/internal";
import type { RedisClientLike } from "@mcp-prod/ratelimit";
import type { Telemetry } from "@mcp-prod/telemetry";
import type { ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import type { AuthOptions } from "./auth.ts";
import type { Backend, BackendConfig } from "./backend.ts";

/** The logger the gateway writes its audit and refusal lines to (a pino logger fits). */
export type GatewayLogger = {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
};

/** A limit of `points` per `durationSeconds`. */
export type Limit = { readonly points: number; readonly durationSeconds: number };

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
  /** Metrics and per-call logs. @default a telemetry of its own (`serviceName: "mcp-gateway"`) */
  readonly telemetry?: Telemetry;
  /** Audit, refusal and warning lines. @default none */
  readonly logger?: GatewayLogger;
  /** Shared rate-limit store (ioredis) for several replicas. @default none: in memory, per replica */
  readonly redis?: RedisClientLike;
  /**
   * How long a rate-limit decision may wait for Redis before this replica
   * decides alone. Generous on purpose: a healthy Redis under a burst must not
   * be taken for a dead one (a dead one fails at once: ioredis refuses
   * commands while disconnected).
   * @default 5000
   */
  readonly rateLimitStoreTimeoutMs?: number;
  /** Tool calls per client and tool. @default { points: 60, durationSeconds: 60 } */
  readonly toolRateLimit?: Limit;
  /** HTTP requests per client; over it, 429 with `Retry-After`. @default { points: 600, durationSeconds: 60 } */
  readonly requestRateLimit?: Limit;
  /** Failed authentications per remote address; over it, 429 with `Retry-After`. @default { points: 10, durationSeconds: 60 } */
  readonly authFailureRateLimit?: Limit;
  /** Prefix of the rate-limit keys in the shared store. @default "mcp-gateway" */
  readonly rateLimitKeyPrefix?: string;
  /** Per-backend circuit breaker; only backend failures (unreachable, timeout, 5xx) count. */
  readonly breaker?: {
    /** @default 10000 */
    readonly resetTimeout?: number;
    /** @default 5 */
    readonly volumeThreshold?: number;
    /** @default 50 */
    readonly errorThresholdPercentage?: number;
  };
  /** Call timeout for every backend, reset by each progress notification (`GATEWAY_BACKEND_TIMEOUT_MS`). @default 60000 */
  readonly backendTimeoutMs?: number;
  /** How often each backend's lists are re-read besides on `list_changed`; `0` never. @default 60000 */
  readonly refreshIntervalMs?: number;
  /** Largest accepted request body, and largest re-serialised tool arguments. @default 1048576 */
  readonly maxBodyBytes?: number;
  /** Deepest accepted nesting of tool arguments. @default 64 */
  readonly maxArgumentDepth?: number;
  /** Accepted Host values. @default loopback hosts when bound to loopback, else any */
  readonly allowedHosts?: readonly string[] | undefined;
  /** Accepted browser Origins besides loopback ones. @default [] */
  readonly allowedOrigins?: readonly string[] | undefined;
  /** A client session unused this long is closed. @default 1800000 (30 min) */
  readonly sessionIdleMs?: number;
  /** Most client sessions at once; beyond, new sessions get 503. @default 10000 */
  readonly maxSessions?: number;
  /** Put tool arguments in the audit log. @default false */
  readonly auditArguments?: boolean;
};

/** What `createGateway()` returns. */
export type Gateway = {
  /** `http://host:port`; MCP is served at `${url}/mcp`. */
  readonly url: string;
  /** The listening HTTP server (hand it to `health.gracefulShutdown`). */
  readonly server: HttpServer;
  /** Liveness and readiness, including each backend's own readiness. */
  readonly health: Health;
  /** The backends, with their state and last-read lists. */
  readonly backends: readonly Backend[];
  /** Closes every session, backend connection, timer and the HTTP server. */
  close(): Promise<void>;
};

export const KNOWN_KEYS = [
  "backends",
  "host",
  "port",
  "auth",
  "allowAnonymous",
  "telemetry",
  "logger",
  "redis",
  "rateLimitStoreTimeoutMs",
  "toolRateLimit",
  "requestRateLimit",
  "authFailureRateLimit",
  "rateLimitKeyPrefix",
  "breaker",
  "backendTimeoutMs",
  "refreshIntervalMs",
  "maxBodyBytes",
  "maxArgumentDepth",
  "allowedHosts",
  "allowedOrigins",
  "sessionIdleMs",
  "maxSessions",
  "auditArguments",
];
export const FOREIGN_KEYS = {
  timeout: "use `backendTimeoutMs` (milliseconds)",
  timeoutMs: "use `backendTimeoutMs` (milliseconds)",
  servers: "use `backends`",
  targets: "use `backends`",
};

export const isLoopback = (host: string) =>
  /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/i.test(host);

export function assertLimit(value: unknown, name: string): void {
  if (value === undefined) return;
  assertOptions(value, name);
  assertPositiveInteger((value as Limit).points, `${name}.points`);
  assertPositiveInteger((value as Limit).durationSeconds, `${name}.durationSeconds`);
}

/** The capabilities the gateway advertises: what any backend offers, lists always changeable. */
export function mergeCapabilities(backends: readonly Backend[]): ServerCapabilities {
  const capabilities: ServerCapabilities = { tools: { listChanged: true } };
  for (const backend of backends) {
    const offered = backend.capabilities;
    if (!offered) continue;
    if (offered.prompts) capabilities.prompts = { listChanged: true };
    if (offered.resources)
      capabilities.resources = {
        listChanged: true,
        subscribe: Boolean(capabilities.resources?.subscribe || offered.resources.subscribe),
      };
    if (offered.completions) capabilities.completions = {};
    if (offered.logging) capabilities.logging = {};
  }
  return capabilities;
}

/** The backends' instructions, each under its prefix when there are several. */
export function mergeInstructions(backends: readonly Backend[]): string | undefined {
  const parts = backends.filter((backend) => backend.instructions);
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0]?.instructions;
  return parts
    .map((backend) => `## ${backend.prefix ?? backend.label}\n\n${backend.instructions}`)
    .join("\n\n");
}
