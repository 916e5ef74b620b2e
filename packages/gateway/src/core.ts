import type { RateLimiter } from "@mcp-prod/ratelimit";
import type { Telemetry } from "@mcp-prod/telemetry";
import type { Authenticator } from "./auth.ts";
import type { Backend } from "./backend.ts";
import type { BackendSessions } from "./backend-sessions.ts";
import type { Bus } from "./bus.ts";
import type { Routes } from "./catalog.ts";
import type { Clock } from "./clock.ts";
import type { EventStore } from "./event-store.ts";
import type { Shares } from "./limits.ts";
import type { GatewayLogger } from "./options.ts";
import type { Sessions } from "./sessions.ts";
import type { ServerTracing } from "./tracing.ts";
import type { Upstream } from "./upstream.ts";

/** The bounds and switches every part of a request reads. */
export type CoreSettings = {
  readonly maxCallMs: number;
  readonly maxResultBytes: number;
  readonly maxArgumentDepth: number;
  readonly maxBodyBytes: number;
  /** The `retry` hint of resumable streams, in milliseconds. */
  readonly retryMs: number;
  /** A call still unanswered after this long answers as a (resumable) SSE stream. */
  readonly streamAfterMs: number;
  readonly auditArguments: boolean;
  readonly sessionIdleMs: number;
};

/** What the parts of a request share: one per gateway, built by `createGateway`. */
export type GatewayCore = {
  readonly clock: Clock;
  readonly settings: CoreSettings;
  readonly backends: readonly Backend[];
  backend(label: string): Backend | undefined;
  /** The merged names of every backend, as last read. */
  catalog(): Routes;
  readonly upstream: Upstream;
  readonly sessions: Sessions;
  readonly backendSessions: BackendSessions;
  readonly bus: Bus;
  readonly events: EventStore;
  readonly shares: Shares;
  readonly authenticator: Authenticator;
  readonly limiters: {
    readonly requests: RateLimiter;
    readonly tools: RateLimiter;
    readonly authFailures: RateLimiter;
  };
  readonly telemetry: Telemetry;
  readonly tracing: ServerTracing;
  readonly logger: GatewayLogger | undefined;
  /** A backend said its lists changed: re-read them here, and tell the other replicas. */
  onListChanged(backend: Backend): void;
};
