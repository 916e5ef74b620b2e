import { AsyncLocalStorage } from "node:async_hooks";
import { identityHeaders } from "@mcp-prod-examples/kit";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { CallToolResult, Progress, Tool } from "@modelcontextprotocol/sdk/types.js";

/** A backend MCP server the gateway routes to: its tools appear as `<prefix>.<tool>`. */
export type BackendConfig = { readonly prefix: string; readonly url: string };

/** Parses `GATEWAY_BACKENDS`: `users=http://127.0.0.1:3001/mcp,analytics=http://127.0.0.1:3002/mcp`. */
export function parseBackends(text: string): BackendConfig[] {
  return text
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [prefix = "", url = ""] = entry.split(/=(.*)/s);
      if (!/^[a-z][a-z0-9_-]*$/.test(prefix) || !URL.canParse(url)) {
        throw new TypeError(
          `Expected \`GATEWAY_BACKENDS\` entries as prefix=url, got ${JSON.stringify(entry)}`,
        );
      }
      return { prefix, url };
    });
}

const identity = new AsyncLocalStorage<AuthInfo | undefined>();

/** fetch for the backend transports: adds the current caller's identity headers. */
function identityFetch(input: string | URL, init?: RequestInit): Promise<Response> {
  const auth = identity.getStore();
  if (!auth) return fetch(input, init);
  const headers = new Headers(init?.headers);
  for (const [name, value] of Object.entries(identityHeaders(auth))) headers.set(name, value);
  return fetch(input, { ...init, headers });
}

export type BackendState = "connecting" | "up" | "down";

/**
 * One SDK `Client` per backend. A backend that is down at start is retried in
 * the background with capped exponential backoff; its tools appear once it is up.
 */
export class Backend {
  readonly prefix: string;
  readonly url: string;
  #client: Client | undefined;
  #tools: Tool[] = [];
  #state: BackendState = "connecting";
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #closed = false;
  #onChange: () => void;

  constructor(config: BackendConfig, onChange: () => void = () => {}) {
    this.prefix = config.prefix;
    this.url = config.url;
    this.#onChange = onChange;
  }

  get state(): BackendState {
    return this.#state;
  }

  get tools(): readonly Tool[] {
    return this.#tools;
  }

  /** Connects now; on failure schedules retries and resolves anyway (the gateway starts without it). */
  async start(): Promise<void> {
    await this.#connect();
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new Client({ name: `mcp-gateway->${this.prefix}`, version: "0.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(this.url), {
      fetch: identityFetch,
    });
    try {
      await client.connect(transport);
      const { tools } = await client.listTools();
      if (this.#closed) {
        await client.close();
        return;
      }
      const previous = this.#client;
      this.#client = client;
      this.#tools = tools;
      this.#state = "up";
      this.#attempt = 0;
      await previous?.close().catch(() => {});
      this.#onChange();
    } catch {
      await client.close().catch(() => {});
      this.#markDown();
    }
  }

  #markDown(): void {
    if (this.#closed) return;
    const changed = this.#state === "up";
    this.#state = "down";
    if (changed) this.#onChange();
    if (this.#timer) return;
    const delay = Math.min(250 * 2 ** this.#attempt, 10_000);
    this.#attempt += 1;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#connect();
    }, delay);
    this.#timer.unref();
  }

  /** Re-reads the backend's tool list (after it restarted, or on `tools/list_changed`). */
  async refresh(): Promise<void> {
    if (this.#state !== "up") return;
    await this.#connect();
  }

  /**
   * Forwards one call with the caller's identity. Aborting `signal` sends
   * `notifications/cancelled` to the backend; progress is handed to `onprogress`.
   */
  async callTool(
    name: string,
    args: Record<string, unknown> | undefined,
    options: {
      signal?: AbortSignal | undefined;
      auth?: AuthInfo | undefined;
      onprogress?: ((progress: Progress) => void) | undefined;
    },
  ): Promise<CallToolResult> {
    const client = this.#client;
    if (!client || this.#state !== "up") {
      this.#markDown();
      throw new Error(`backend ${this.prefix} is not connected`);
    }
    try {
      return (await identity.run(options.auth, () =>
        client.callTool({ name, ...(args ? { arguments: args } : {}) }, undefined, {
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.onprogress
            ? { onprogress: options.onprogress, resetTimeoutOnProgress: true }
            : {}),
        }),
      )) as CallToolResult;
    } catch (error) {
      if (isConnectionError(error)) this.#markDown();
      throw error;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#client?.close().catch(() => {});
    this.#client = undefined;
  }
}

function isConnectionError(error: unknown): boolean {
  const text = `${(error as Error)?.message ?? ""} ${String((error as { cause?: { code?: string } })?.cause?.code ?? "")}`;
  return /fetch failed|ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|other side closed|UND_ERR/i.test(
    text,
  );
}
