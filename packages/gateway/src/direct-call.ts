import { Agent, type IncomingMessage, request } from "node:http";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { ErrorCode, McpError, type ServerNotification } from "@modelcontextprotocol/sdk/types.js";
import { ForwardedError } from "./forward.ts";
import { identityHeaders } from "./identity.ts";

type JsonRpc = {
  id?: unknown;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
};

let nextId = 0;
// Kept-alive connections: node:http costs less per call than fetch, and the backend is on the same network.
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** POSTs `body` to `url`; resolves with the response once its headers arrived. */
function post(url: URL, headers: Record<string, string>, body: string, signal?: AbortSignal) {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: "POST",
        agent,
        headers: { ...headers, "content-length": Buffer.byteLength(body) },
        ...(signal ? { signal } : {}),
      },
      resolve,
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

async function readText(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * One request to a backend without sessions as one plain HTTP exchange: the
 * JSON-RPC message posted as is, the answer read from JSON or the SSE stream,
 * notifications on the way handed to `onNotification`. No SDK client in
 * between: nothing about a backend without sessions needs one. Used only when
 * the calling client can answer no request from the backend (no sampling,
 * elicitation or roots), since such a request would have nowhere to go.
 */
export async function directRequest(options: {
  url: string;
  method: string;
  params: Record<string, unknown>;
  auth: AuthInfo | undefined;
  signal: AbortSignal;
  timeoutMs: number;
  onNotification: (notification: ServerNotification) => void;
}): Promise<unknown> {
  nextId += 1;
  const id = `gw-${nextId}`;
  const timeout = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () =>
        timeout.abort(
          new McpError(ErrorCode.RequestTimeout, "Request timed out", {
            timeout: options.timeoutMs,
          }),
        ),
      options.timeoutMs,
    );
  };
  arm();
  const signal = AbortSignal.any([options.signal, timeout.signal]);
  const cancel = () => {
    // The backend's handler is told, as an SDK client would tell it.
    const body = JSON.stringify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: id, reason: String(signal.reason) },
    });
    void post(url, headersFor(options.auth), body)
      .then((response) => response.resume())
      .catch(() => {});
  };
  const url = new URL(options.url);
  signal.addEventListener("abort", cancel, { once: true });
  try {
    const response = await post(
      url,
      headersFor(options.auth),
      JSON.stringify({ jsonrpc: "2.0", id, method: options.method, params: options.params }),
      signal,
    );
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const text = await readText(response).catch(() => "");
      throw new StreamableHTTPError(status, `Error POSTing to endpoint: ${text}`);
    }
    const settle = (message: JsonRpc): unknown => {
      if (message.error)
        throw new ForwardedError(message.error.code, message.error.message, message.error.data);
      return message.result;
    };
    if (!(response.headers["content-type"] ?? "").includes("text/event-stream")) {
      return settle(JSON.parse(await readText(response)) as JsonRpc);
    }
    // Read as events: once answered, the rest drains so the connection goes back to the pool.
    return await new Promise<unknown>((resolve, reject) => {
      const decoder = new TextDecoder();
      let buffer = "";
      let settled = false;
      response.on("data", (chunk: Buffer) => {
        if (settled) return;
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end >= 0 && !settled) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
          const data = event
            .split("\n")
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).trimStart())
            .join("\n");
          if (!data) continue;
          try {
            const message = JSON.parse(data) as JsonRpc;
            if (message.id === id && (message.result !== undefined || message.error)) {
              settled = true;
              resolve(settle(message));
            } else if (message.method && message.id === undefined) {
              if (message.method === "notifications/progress") arm();
              options.onNotification(message as ServerNotification);
            }
          } catch (error) {
            settled = true;
            reject(error);
          }
        }
      });
      response.on("error", (error) => {
        if (!settled) reject(error);
        settled = true;
      });
      response.on("end", () => {
        if (!settled)
          reject(
            new McpError(
              ErrorCode.ConnectionClosed,
              "Connection closed before the backend answered",
            ),
          );
        settled = true;
      });
    });
  } catch (error) {
    if (signal.aborted && !options.signal.aborted) throw timeout.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", cancel);
  }
}

function headersFor(auth: AuthInfo | undefined): Record<string, string> {
  return {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...(auth ? identityHeaders(auth) : {}),
  };
}
