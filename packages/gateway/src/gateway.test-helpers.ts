// Shared by this package's tests: an OAuth issuer, clients of the gateway, a clock that tests
// move, and replicas as processes. The backends live in backends.test-helpers.ts.
import { createServer, type Server } from "node:http";
import { connectHttp, postMcp } from "@mcp-prod/testkit/http";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import type { Timer } from "./clock.ts";

export * from "./backends.test-helpers.ts";

/** An OAuth issuer of the test's own: a key pair and its JWKS served on loopback. */
export async function startIssuer() {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
  const server: Server = createServer((req, res) => {
    if (req.url === "/.well-known/jwks.json") {
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ keys: [jwk] }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const issuer = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const other = await generateKeyPair("RS256");
  return {
    issuer,
    token: (
      claims: Record<string, unknown>,
      options: {
        audience?: string;
        issuer?: string;
        expiresIn?: string | number | null;
        issuedAt?: number;
        foreignKey?: boolean;
      } = {},
    ) => {
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: "test-key" })
        .setIssuer(options.issuer ?? issuer)
        .setAudience(options.audience ?? "mcp-gateway")
        .setIssuedAt(options.issuedAt ?? Math.floor(Date.now() / 1000) - 120);
      if (options.expiresIn !== null) jwt.setExpirationTime(options.expiresIn ?? "5m");
      return jwt.sign(options.foreignKey ? other.privateKey : privateKey);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An SDK client connected to the gateway over Streamable HTTP. */
export async function connectClient(
  url: string,
  headers: Record<string, string> = {},
  capabilities: ClientCapabilities = {},
): Promise<Client> {
  return (await connectHttp(`${url}/mcp`, { headers, capabilities })).client;
}

export { call } from "@mcp-prod/testkit/mcp";

/** POSTs one JSON-RPC body to the gateway's `/mcp`. */
export async function post(url: string, headers: Record<string, string>, body: unknown) {
  const response = await postMcp(`${url}/mcp`, body, headers);
  return {
    status: response.status,
    wwwAuthenticate: response.headers.get("www-authenticate"),
    retryAfter: response.headers.get("retry-after"),
    sessionId: response.headers.get("mcp-session-id"),
    text: response.text,
  };
}

/** GET a path, with status and parsed JSON (or text). */
export async function get(url: string): Promise<{ status: number; body: unknown; text: string }> {
  const response = await fetch(url);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Prometheus text, not JSON
  }
  return { status: response.status, body, text };
}

export const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "raw", version: "0" },
  },
};

export const callWhoami = {
  jsonrpc: "2.0",
  id: 2,
  method: "tools/call",
  params: { name: "users.whoami", arguments: {} },
};

/**
 * A clock the test moves: `advance(ms)` runs every timer due by then, in
 * order. For the gateway's timeouts and expiry, so that a test never waits.
 */
export function manualClock(start = Date.now()) {
  let now = start;
  let sequence = 0;
  const timers = new Map<number, { at: number; run: () => void }>();
  return {
    now: () => now,
    setTimeout: (run: () => void, ms: number) => {
      sequence += 1;
      timers.set(sequence, { at: now + ms, run });
      return sequence as unknown as Timer;
    },
    clearTimeout: (timer: Timer) => {
      timers.delete(timer as unknown as number);
    },
    /** Moves time forward, running each timer due (and those they set) in order. */
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        let next: [number, { at: number; run: () => void }] | undefined;
        for (const entry of timers)
          if (entry[1].at <= until && (!next || entry[1].at < next[1].at)) next = entry;
        if (!next) break;
        timers.delete(next[0]);
        now = Math.max(now, next[1].at);
        next[1].run();
      }
      now = until;
    },
  };
}

/** A gateway replica as deployments run it: `node dist/cli.js`, in a process of its own. */
export type ReplicaProcess = {
  readonly url: string;
  readonly port: number;
  /** Resolves with the exit code (or signal) once the process ended. */
  readonly exited: Promise<number | string | null>;
  /** What it printed, for a failing test's message. */
  output(): string;
  kill(signal: NodeJS.Signals): void;
};

/** Starts `node dist/cli.js` with `env` on `port`; resolves once it is ready. */
export async function startReplica(
  port: number,
  env: Record<string, string>,
): Promise<ReplicaProcess> {
  const { spawn } = await import("node:child_process");
  const { join } = await import("node:path");
  const child = spawn(process.execPath, [join(import.meta.dirname, "..", "dist", "cli.js")], {
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      SERVER_PORT: String(port),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  // Should the test process end first (a runner's timeout), the replica goes with it.
  const orphan = () => child.kill("SIGKILL");
  process.once("exit", orphan);
  const exited = new Promise<number | string | null>((resolve) =>
    child.once("exit", (code, signal) => {
      process.off("exit", orphan);
      resolve(code ?? signal);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the replica exited before it was ready:\n${output}`);
    try {
      const response = await fetch(`${url}/health/ready`);
      await response.body?.cancel();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the replica was not ready in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url, port, exited, output: () => output, kill: (signal) => child.kill(signal) };
}
