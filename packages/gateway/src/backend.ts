import { createBreaker } from "@mcp-prod/breaker";
import { type Backoff, backoffDelay } from "@mcp-prod/internal";
import type {
  Prompt,
  Resource,
  ResourceTemplate,
  ServerCapabilities,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { Clock, Timer } from "./clock.ts";
import { Endpoint, type Target } from "./endpoint.ts";
import { BackendError, isBackendFailure } from "./errors.ts";
import { LATEST_PROTOCOL_VERSION, type Params } from "./json-rpc.ts";
import { redactUrl } from "./redact.ts";
import type { HeldStream, Upstream } from "./upstream.ts";

// Reconnection waits grow from 250 ms to 10 s, jittered so that replicas spread apart.
const RECONNECT: Backoff = { jitter: "equal", minDelayMs: 250, maxDelayMs: 10_000 };
const CLIENT_INFO = { name: "mcp-prod-gateway", version: "0.0.0" };

/**
 * A backend MCP server (Streamable HTTP). With a `prefix`, its tools and
 * prompts appear as `<prefix>.<name>` and its resource URIs as
 * `<prefix>+<uri>`; without one, under their own names.
 */
export type BackendConfig = {
  /** Lower-case letters, digits, `-` and `_`, starting with a letter. Unset: names pass unchanged. */
  readonly prefix?: string | undefined;
  /** The backend's MCP endpoint, e.g. `http://127.0.0.1:3001/mcp`. */
  readonly url: string;
  /** This backend's call timeout, reset by each progress notification. @default the gateway's `backendTimeoutMs` */
  readonly timeoutMs?: number | undefined;
};

/** Where a backend is: connecting for the first time, answering, or unreachable (retried in the background). */
export type BackendState = "connecting" | "up" | "down";

/** What a backend offers, as last read. */
export type BackendCatalog = {
  readonly tools: readonly Tool[];
  readonly prompts: readonly Prompt[];
  readonly resources: readonly Resource[];
  readonly templates: readonly ResourceTemplate[];
};

const EMPTY: BackendCatalog = { tools: [], prompts: [], resources: [], templates: [] };

/** What a backend needs from its gateway. */
export type BackendSettings = {
  readonly upstream: Upstream;
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly refreshIntervalMs: number;
  readonly maxSockets: number;
  readonly maxResultBytes: number;
  readonly breaker: {
    readonly resetTimeout: number;
    readonly volumeThreshold: number;
    readonly errorThresholdPercentage: number;
  };
  /** Its lists or its state changed. */
  readonly onChange: (backend: Backend) => void;
};

/**
 * The gateway's view of one backend: its connection pool and breaker, and a
 * catalog session of the gateway's own that reads its capabilities and lists
 * (again on `list_changed` and on a timer). A backend that is down is retried
 * in the background with capped exponential backoff.
 */
export class Backend {
  readonly prefix: string | undefined;
  readonly url: string;
  readonly timeoutMs: number | undefined;
  /** A label for logs, metrics and errors: the prefix, or the URL's host and path. */
  readonly label: string;
  readonly endpoint: Endpoint;
  /** Counts this backend's failures (unreachable, broken, timed out, 5xx) across every call. */
  readonly breaker;
  readonly #settings: BackendSettings;
  #catalog: BackendCatalog = EMPTY;
  #capabilities: ServerCapabilities | undefined;
  #instructions: string | undefined;
  #protocolVersion: string = LATEST_PROTOCOL_VERSION;
  #stateful = false;
  #state: BackendState = "connecting";
  #catalogSession: string | undefined;
  #catalogStream: HeldStream | undefined;
  #retryTimer: Timer | undefined;
  #refreshTick: { stop(): void } | undefined;
  #refreshing: Promise<void> | undefined;
  #attempt = 0;
  #closed = false;

  constructor(config: BackendConfig, settings: BackendSettings) {
    this.prefix = config.prefix;
    this.url = config.url;
    this.timeoutMs = config.timeoutMs;
    const url = new URL(config.url);
    this.label = config.prefix ?? url.host + url.pathname;
    this.#settings = settings;
    this.endpoint = new Endpoint(this.label, config.url, settings.maxSockets);
    this.breaker = createBreaker({
      name: `backend:${this.label}`,
      // The call's own timeout bounds it; the breaker never cuts a call itself.
      timeout: false,
      ...settings.breaker,
      // Only the backend failing counts: its JSON-RPC errors, input errors and cancellations do not.
      errorFilter: (error: unknown) => !isBackendFailure(error),
    });
  }

  get state(): BackendState {
    return this.#state;
  }
  /** The lists as last read: kept while the backend is down, so unknown names are still refused. */
  get catalog(): BackendCatalog {
    return this.#catalog;
  }
  get capabilities(): ServerCapabilities | undefined {
    return this.#capabilities;
  }
  get instructions(): string | undefined {
    return this.#instructions;
  }
  /** Whether the backend issues sessions (then each client session gets its own). */
  get stateful(): boolean {
    return this.#stateful;
  }
  /** The protocol version the backend chose with the gateway. */
  get protocolVersion(): string {
    return this.#protocolVersion;
  }
  /** This backend's call timeout. */
  get callTimeoutMs(): number {
    return this.timeoutMs ?? this.#settings.timeoutMs;
  }
  /** The URL with its credentials and query hidden, for logs. */
  get safeUrl(): string {
    return redactUrl(this.url);
  }

  /** Connects now; on failure schedules retries and resolves anyway (the gateway starts without it). */
  async start(): Promise<void> {
    await this.#connect();
    const { refreshIntervalMs, clock } = this.#settings;
    if (refreshIntervalMs > 0 && !this.#closed) {
      let timer: Timer | undefined;
      const arm = () => {
        timer = clock.setTimeout(() => {
          void this.refresh().finally(() => {
            if (!this.#closed) arm();
          });
        }, refreshIntervalMs);
      };
      arm();
      this.#refreshTick = { stop: () => timer !== undefined && clock.clearTimeout(timer) };
    }
  }

  /**
   * Opens a session on the backend (for a backend with sessions): its id and
   * the protocol version it chose. `capabilities` are the client's, so the
   * backend sees what the client can answer.
   */
  async initialize(
    identity: Target["identity"],
    capabilities: Params,
    signal: AbortSignal,
  ): Promise<{ sessionId: string | undefined; protocolVersion: string; result: Params }> {
    const base: Target = {
      endpoint: this.endpoint,
      protocolVersion: LATEST_PROTOCOL_VERSION,
      identity,
    };
    const { result, sessionId } = await this.request(base, "initialize", signal, {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities,
      clientInfo: CLIENT_INFO,
    });
    const protocolVersion =
      typeof result.protocolVersion === "string" ? result.protocolVersion : LATEST_PROTOCOL_VERSION;
    await this.#settings.upstream.notify(
      { ...base, protocolVersion, sessionId },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      signal,
    );
    return { sessionId, protocolVersion, result };
  }

  /**
   * One request of the gateway's own (not a client's) to this backend: its
   * decoded result, and the session id an initialize got. A JSON-RPC error
   * is a refusal.
   */
  async request(
    target: Target,
    method: string,
    signal: AbortSignal,
    params?: Params,
  ): Promise<{ result: Params; sessionId: string | undefined }> {
    const answer = await this.#settings.upstream.call({
      ...target,
      id: `gw-${method}`,
      method,
      params,
      signal,
      onMessage: () => undefined,
      maxBytes: this.#settings.maxResultBytes,
    });
    if (answer.envelope.error)
      throw new BackendError(
        "EBACKENDSTATUS",
        this.label,
        `Backend ${this.label} refused ${method}`,
      );
    const result = (JSON.parse(answer.text) as { result?: Params }).result ?? {};
    return { result, sessionId: answer.sessionId };
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const signal = AbortSignal.timeout(this.callTimeoutMs);
    try {
      const { sessionId, protocolVersion, result } = await this.initialize(undefined, {}, signal);
      const target: Target = {
        endpoint: this.endpoint,
        sessionId,
        protocolVersion,
        identity: undefined,
      };
      const capabilities = (result.capabilities ?? {}) as ServerCapabilities;
      const catalog = await this.#read(target, capabilities, signal);
      if (this.#closed) {
        if (sessionId) await this.#settings.upstream.end(target);
        return;
      }
      const previous = this.#catalogSession;
      this.#catalogStream?.close();
      this.#catalogStream = undefined;
      this.#catalogSession = sessionId;
      this.#catalog = catalog;
      this.#capabilities = capabilities;
      this.#instructions =
        typeof result.instructions === "string" ? result.instructions : undefined;
      this.#protocolVersion = protocolVersion;
      this.#stateful = sessionId !== undefined;
      this.#state = "up";
      this.#attempt = 0;
      if (previous && previous !== sessionId)
        void this.#settings.upstream.end({ ...target, sessionId: previous });
      if (sessionId) void this.#watch(target);
      this.#settings.onChange(this);
    } catch {
      this.markDown();
    }
  }

  /** The catalog session's own stream: `list_changed` re-reads the lists. */
  async #watch(target: Target): Promise<void> {
    try {
      const stream = await this.#settings.upstream.open(target, {
        maxBytes: this.#settings.maxResultBytes,
        onMessage: (_text, envelope) => {
          if (envelope.method?.endsWith("/list_changed")) void this.refresh();
          return undefined;
        },
      });
      if (!stream) return;
      if (this.#closed || this.#catalogSession !== target.sessionId) return stream.close();
      this.#catalogStream = stream;
      await stream.ended;
      if (this.#catalogStream !== stream || this.#closed) return;
      this.#catalogStream = undefined;
      // The stream ended on its own (a restart, say): a refresh finds out and reconnects if needed.
      this.#settings.clock.setTimeout(() => void this.refresh(), 250);
    } catch {
      // No stream: the refresh timer and the calls' own notifications keep the lists fresh.
    }
  }

  async #read(
    target: Target,
    capabilities: ServerCapabilities,
    signal: AbortSignal,
  ): Promise<BackendCatalog> {
    const page = async (method: string, key: string, cursor: string | undefined) => {
      const { result } = await this.request(
        target,
        method,
        signal,
        cursor ? { cursor } : undefined,
      );
      return { items: (result[key] as unknown[] | undefined) ?? [], next: result.nextCursor };
    };
    const readAll = async <T>(method: string, key: string): Promise<T[]> => {
      const items: T[] = [];
      let cursor: string | undefined;
      // A bound on pages keeps a backend that cycles its cursors from stalling the gateway.
      for (let count = 0; count < 1000; count += 1) {
        const { items: found, next } = await page(method, key, cursor);
        items.push(...(found as T[]));
        if (typeof next !== "string" || next === "") break;
        cursor = next;
      }
      return items;
    };
    // One list at a time: a backend with sessions answers them in order anyway.
    const tools = capabilities.tools ? await readAll<Tool>("tools/list", "tools") : [];
    const prompts = capabilities.prompts ? await readAll<Prompt>("prompts/list", "prompts") : [];
    const resources = capabilities.resources
      ? await readAll<Resource>("resources/list", "resources")
      : [];
    const templates = capabilities.resources
      ? await readAll<ResourceTemplate>("resources/templates/list", "resourceTemplates")
      : [];
    return { tools, prompts, resources, templates };
  }

  /** Marks the backend down and schedules a reconnection. */
  markDown(): void {
    if (this.#closed) return;
    const changed = this.#state === "up";
    this.#state = "down";
    if (changed) this.#settings.onChange(this);
    if (this.#retryTimer !== undefined) return;
    this.#attempt += 1;
    this.#retryTimer = this.#settings.clock.setTimeout(
      () => {
        this.#retryTimer = undefined;
        void this.#connect();
      },
      backoffDelay(this.#attempt, RECONNECT),
    );
  }

  /** Re-reads the lists (on `list_changed`, on the timer, or after the backend came back). */
  refresh(): Promise<void> {
    if (this.#state !== "up" || this.#closed) return Promise.resolve();
    this.#refreshing ??= (async () => {
      const target: Target = {
        endpoint: this.endpoint,
        sessionId: this.#catalogSession,
        protocolVersion: this.#protocolVersion,
        identity: undefined,
      };
      try {
        this.#catalog = await this.#read(
          target,
          this.#capabilities ?? {},
          AbortSignal.timeout(this.callTimeoutMs),
        );
        this.#settings.onChange(this);
      } catch (error) {
        // The catalog session may be gone (a restart): reconnect, which re-reads everything.
        if (BackendError.isInstance(error) && error.code === "EBACKENDSESSIONLOST")
          await this.#connect();
        else if (isBackendFailure(error)) this.markDown();
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  /**
   * The backend's own readiness: its `/health/ready` answer when it serves
   * one. Any 4xx means it has none (404, 405, or 406 from an MCP endpoint
   * that answers every path and wants MCP's Accept header), and reachability
   * decides; a 5xx is not ready.
   */
  async ready(signal?: AbortSignal): Promise<boolean> {
    if (this.#state !== "up") return false;
    try {
      const response = await fetch(new URL("/health/ready", this.url), {
        ...(signal ? { signal } : {}),
      });
      await response.body?.cancel();
      return response.ok || (response.status >= 400 && response.status < 500);
    } catch {
      return false;
    }
  }

  /** Stops the timers, ends the catalog session and closes every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retryTimer !== undefined) this.#settings.clock.clearTimeout(this.#retryTimer);
    this.#refreshTick?.stop();
    this.#catalogStream?.close();
    if (this.#catalogSession)
      await this.#settings.upstream.end(
        {
          endpoint: this.endpoint,
          sessionId: this.#catalogSession,
          protocolVersion: this.#protocolVersion,
          identity: undefined,
        },
        AbortSignal.timeout(1000),
      );
    this.breaker.close();
    this.endpoint.close();
  }
}
