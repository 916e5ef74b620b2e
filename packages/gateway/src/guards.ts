import type { IncomingMessage, ServerResponse } from "node:http";
import { BlockList, isIP } from "node:net";
import { type RateLimitExceededError, writeRateLimitResponse } from "@mcp-prod/ratelimit";
import type { AuthFailure } from "./auth.ts";

/** Headers on every answer: nothing here is to be sniffed, framed or shared across origins. */
export const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "cross-origin-resource-policy": "same-origin",
} as const;

const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

/**
 * DNS-rebinding protection, for every path: a `Host` the gateway answers to,
 * and a browser `Origin` it trusts. Bound to loopback, loopback names only.
 */
export class HostRules {
  readonly #loopback: boolean;
  readonly #hosts: readonly string[] | undefined;
  readonly #origins: readonly string[];

  constructor(loopback: boolean, hosts: readonly string[] | undefined, origins: readonly string[]) {
    this.#loopback = loopback;
    this.#hosts = hosts;
    this.#origins = origins;
  }

  /** Why the request is refused (403), or undefined. */
  refusal(req: IncomingMessage): string | undefined {
    const host = req.headers.host ?? "";
    const hostOk = this.#hosts
      ? this.#hosts.includes(host)
      : !this.#loopback || LOOPBACK_HOST.test(host);
    if (!hostOk) return `Host ${host || "(none)"} is not allowed`;
    const origin = req.headers.origin;
    if (origin === undefined || this.#origins.includes(origin)) return undefined;
    if (this.#loopback && URL.canParse(origin) && LOOPBACK_HOST.test(new URL(origin).host))
      return undefined;
    return `Origin ${origin} is not allowed`;
  }
}

/**
 * The client's address for the per-address limits: the socket's peer, or,
 * when the peer is one of the trusted proxies (`GATEWAY_TRUSTED_PROXIES`),
 * the last address in `X-Forwarded-For` that is not itself a trusted proxy.
 * From any other peer the header is ignored, so a client cannot choose its
 * own address.
 */
export class ClientAddresses {
  readonly #trusted: BlockList | undefined;

  constructor(trustedProxies: readonly string[]) {
    if (trustedProxies.length === 0) return;
    const list = new BlockList();
    for (const entry of trustedProxies) {
      const [address = "", prefix] = entry.split("/");
      const family = isIP(address);
      if (family === 0)
        throw new TypeError(
          `Expected \`trustedProxies\` entries as IP addresses or CIDR ranges, got ${JSON.stringify(entry)}`,
        );
      const type = family === 4 ? "ipv4" : "ipv6";
      if (prefix === undefined) list.addAddress(address, type);
      else {
        const bits = Number(prefix);
        if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128))
          throw new TypeError(
            `Expected \`trustedProxies\` entries as IP addresses or CIDR ranges, got ${JSON.stringify(entry)}`,
          );
        list.addSubnet(address, bits, type);
      }
    }
    this.#trusted = list;
  }

  #isTrusted(address: string): boolean {
    const list = this.#trusted;
    if (!list) return false;
    const family = isIP(address);
    if (family === 0) return false;
    return list.check(address, family === 4 ? "ipv4" : "ipv6");
  }

  of(req: IncomingMessage): string {
    const peer = unmapped(req.socket.remoteAddress ?? "unknown");
    if (!this.#isTrusted(peer)) return peer;
    const forwarded = req.headers["x-forwarded-for"];
    const hops = (Array.isArray(forwarded) ? forwarded.join(",") : (forwarded ?? ""))
      .split(",")
      .map((hop) => unmapped(hop.trim()))
      .filter((hop) => isIP(hop) !== 0);
    for (let index = hops.length - 1; index >= 0; index -= 1) {
      const hop = hops[index] as string;
      if (!this.#isTrusted(hop)) return hop;
    }
    return hops[0] ?? peer;
  }
}

/** `::ffff:10.0.0.1` → `10.0.0.1`. */
const unmapped = (address: string): string =>
  address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;

/** A JSON-RPC error as the whole HTTP answer. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null });
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(body);
}

export function sendAuthFailure(res: ServerResponse, failure: AuthFailure): void {
  sendError(res, failure.status, -32001, failure.message, {
    "www-authenticate": failure.wwwAuthenticate,
  });
}

export function sendLimited(res: ServerResponse, error: RateLimitExceededError): void {
  writeRateLimitResponse(res, error);
}

/** A request body over the limit (413) or not JSON (400). */
export class BodyError extends Error {
  override readonly name = "BodyError";
  readonly status: 400 | 413;
  constructor(status: 400 | 413, message: string) {
    super(message);
    this.status = status;
  }
}

/** Reads and decodes the JSON body, refusing more than `limit` bytes as soon as it is seen. */
export function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) return Promise.reject(new BodyError(413, "request body too large"));
  // Events rather than an async iterator: a body is usually one chunk, read in one callback.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off("data", onData);
      req.resume();
      reject(new BodyError(413, "request body too large"));
    };
    req.on("data", onData);
    req.once("error", reject);
    req.once("end", () => {
      if (size > limit) return;
      try {
        const text =
          chunks.length === 1
            ? (chunks[0] as Buffer).toString("utf8")
            : Buffer.concat(chunks).toString("utf8");
        resolve(JSON.parse(text));
      } catch {
        reject(new BodyError(400, "request body is not JSON"));
      }
    });
  });
}

/** Whether an `Accept` header takes `type` (or any type). */
export function accepts(req: IncomingMessage, type: string): boolean {
  const accept = req.headers.accept;
  if (!accept) return false;
  return accept.includes(type) || accept.includes("*/*");
}
