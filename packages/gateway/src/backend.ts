import { type Backoff, backoffDelay } from "@mcp-prod/internal";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import {
  type ClientCapabilities,
  ErrorCode,
  McpError,
  type Prompt,
  type Resource,
  type ResourceTemplate,
  type ServerCapabilities,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { identityHeaders } from "./identity.ts";

// Reconnection waits grow from 250 ms to 10 s, jittered so that replicas spread apart.
const RECONNECT: Backoff = { jitter: "equal", minDelayMs: 250, maxDelayMs: 10_000 };

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
const CLIENT_INFO = { name: "mcp-prod-gateway", version: "0.0.0" };

/** The fetch every backend transport uses: adds the caller's identity headers when there is one. */
function fetchWithIdentity(auth: AuthInfo | undefined): typeof fetch {
  if (!auth) return fetch;
  const identity = identityHeaders(auth);
  return (input, init) => {
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(identity)) headers.set(name, value);
    return fetch(input, { ...init, headers });
  };
}

/** Whether `error` says the backend itself failed (unreachable, timed out, 5xx), not the request. */
export function isBackendFailure(error: unknown): boolean {
  if (error instanceof StreamableHTTPError) return (error.code ?? 0) >= 500;
  if (error instanceof McpError)
    return error.code === ErrorCode.RequestTimeout || error.code === ErrorCode.ConnectionClosed;
  return isConnectionError(error);
}

/** Whether `error` is the backend no longer knowing our session (it restarted): open a new one. */
export function isSessionLost(error: unknown): boolean {
  return error instanceof StreamableHTTPError && error.code === 404;
}

function isConnectionError(error: unknown): boolean {
  const text = `${(error as Error)?.message ?? ""} ${String((error as { cause?: { code?: string } })?.cause?.code ?? "")}`;
  return /fetch failed|ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|other side closed|UND_ERR|terminated/i.test(
    text,
  );
}

/** Reads every page of a paginated list. */
async function readAll<T>(
  read: (
    cursor: string | undefined,
  ) => Promise<{ nextCursor?: string | undefined } & Record<string, unknown>>,
  key: string,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  // A bound on pages keeps a backend that cycles its cursors from stalling the gateway.
  for (let page = 0; page < 1000; page += 1) {
    const result = await read(cursor);
    items.push(...((result[key] as T[] | undefined) ?? []));
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return items;
}

/**
 * The gateway's view of one backend: a catalog connection that reads its
 * capabilities and lists (refreshed on `list_changed` and on a timer), and the
 * factory of the per-client-session connections calls go through. A backend
 * that is down is retried in the background with capped exponential backoff.
 */
export class Backend {
  readonly prefix: string | undefined;
  readonly url: string;
  readonly timeoutMs: number | undefined;
  /** A label for logs, metrics and errors: the prefix, or the URL's host and path. */
  readonly label: string;
  #client: Client | undefined;
  #catalog: BackendCatalog = EMPTY;
  #capabilities: ServerCapabilities | undefined;
  #instructions: string | undefined;
  #stateful = false;
  #state: BackendState = "connecting";
  #retryTimer: NodeJS.Timeout | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #attempt = 0;
  #closed = false;
  #onChange: (backend: Backend) => void;
  #refreshIntervalMs: number;
  readonly #shared = new Map<string, Promise<Client>>();

  constructor(
    config: BackendConfig,
    options: { onChange?: (backend: Backend) => void; refreshIntervalMs?: number } = {},
  ) {
    this.prefix = config.prefix;
    this.url = config.url;
    this.timeoutMs = config.timeoutMs;
    this.label = config.prefix ?? new URL(config.url).host + new URL(config.url).pathname;
    this.#onChange = options.onChange ?? (() => {});
    this.#refreshIntervalMs = options.refreshIntervalMs ?? 60_000;
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

  /** Connects now; on failure schedules retries and resolves anyway (the gateway starts without it). */
  async start(): Promise<void> {
    await this.#connect();
    if (this.#refreshIntervalMs > 0 && !this.#closed) {
      this.#refreshTimer = setInterval(() => void this.refresh(), this.#refreshIntervalMs);
      this.#refreshTimer.unref();
    }
  }

  /**
   * A new connection to the backend for one client session: it declares the
   * client's capabilities and carries the caller's identity. `setup` installs
   * the relays before the connection initializes.
   */
  async connect(options: {
    auth: AuthInfo | undefined;
    capabilities: ClientCapabilities | undefined;
    setup?: (client: Client) => void;
  }): Promise<Client> {
    const client = new Client(CLIENT_INFO, { capabilities: options.capabilities ?? {} });
    options.setup?.(client);
    const transport = new StreamableHTTPClientTransport(new URL(this.url), {
      fetch: fetchWithIdentity(options.auth),
    });
    try {
      await client.connect(transport);
      return client;
    } catch (error) {
      await client.close().catch(() => {});
      if (isBackendFailure(error)) this.markDown();
      throw error;
    }
  }

  /**
   * A connection shared by every session with the same `key` (caller and
   * capabilities), for a backend without sessions: it keeps no state per
   * client, so one initialize serves them all. At most 1000 are kept.
   */
  shared(key: string, options: Parameters<Backend["connect"]>[0]): Promise<Client> {
    let pending = this.#shared.get(key);
    if (pending) return pending;
    if (this.#shared.size >= 1000) {
      const [oldest, client] = this.#shared.entries().next().value as [string, Promise<Client>];
      this.#shared.delete(oldest);
      void client.then((each) => each.close()).catch(() => {});
    }
    pending = this.connect(options);
    this.#shared.set(key, pending);
    const created = pending;
    created.catch(() => {
      if (this.#shared.get(key) === created) this.#shared.delete(key);
    });
    return created;
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    const transport = new StreamableHTTPClientTransport(new URL(this.url));
    client.fallbackNotificationHandler = async (notification) => {
      if (notification.method.endsWith("/list_changed")) void this.refresh();
    };
    try {
      await client.connect(transport);
      const catalog = await this.#read(client);
      if (this.#closed) {
        await client.close();
        return;
      }
      const previous = this.#client;
      this.#client = client;
      this.#catalog = catalog;
      this.#capabilities = client.getServerCapabilities();
      this.#instructions = client.getInstructions();
      this.#stateful = transport.sessionId !== undefined;
      this.#state = "up";
      this.#attempt = 0;
      if (previous && previous !== client) await previous.close().catch(() => {});
      this.#onChange(this);
    } catch {
      await client.close().catch(() => {});
      this.markDown();
    }
  }

  async #read(client: Client): Promise<BackendCatalog> {
    const capabilities = client.getServerCapabilities() ?? {};
    const [tools, prompts, resources, templates] = await Promise.all([
      capabilities.tools
        ? readAll<Tool>((cursor) => client.listTools(cursor ? { cursor } : {}), "tools")
        : [],
      capabilities.prompts
        ? readAll<Prompt>((cursor) => client.listPrompts(cursor ? { cursor } : {}), "prompts")
        : [],
      capabilities.resources
        ? readAll<Resource>((cursor) => client.listResources(cursor ? { cursor } : {}), "resources")
        : [],
      capabilities.resources
        ? readAll<ResourceTemplate>(
            (cursor) => client.listResourceTemplates(cursor ? { cursor } : {}),
            "resourceTemplates",
          )
        : [],
    ]);
    return { tools, prompts, resources, templates };
  }

  /** Marks the backend down and schedules a reconnection. */
  markDown(): void {
    if (this.#closed) return;
    const changed = this.#state === "up";
    this.#state = "down";
    if (changed) this.#onChange(this);
    if (this.#retryTimer) return;
    this.#attempt += 1;
    const delay = backoffDelay(this.#attempt, RECONNECT);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#connect();
    }, delay);
    this.#retryTimer.unref();
  }

  /** Re-reads the lists (on `list_changed`, on the timer, or after the backend came back). */
  refresh(): Promise<void> {
    if (this.#state !== "up" || this.#closed) return Promise.resolve();
    this.#refreshing ??= (async () => {
      const client = this.#client;
      try {
        if (!client) return;
        this.#catalog = await this.#read(client);
        this.#onChange(this);
      } catch (error) {
        // The catalog session may be gone (a restart): reconnect, which re-reads everything.
        if (isSessionLost(error) || isBackendFailure(error)) await this.#connect();
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  /**
   * The backend's own readiness: its `/health/ready` answer when it serves
   * one (a 404 means it has none, and reachability decides).
   */
  async ready(signal?: AbortSignal): Promise<boolean> {
    if (this.#state !== "up") return false;
    try {
      const response = await fetch(new URL("/health/ready", this.url), {
        ...(signal ? { signal } : {}),
      });
      await response.body?.cancel();
      return response.ok || response.status === 404 || response.status === 405;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#refreshTimer);
    this.#retryTimer = undefined;
    await this.#client?.close().catch(() => {});
    this.#client = undefined;
    const shared = [...this.#shared.values()];
    this.#shared.clear();
    await Promise.allSettled(shared.map(async (pending) => (await pending).close()));
  }
}
