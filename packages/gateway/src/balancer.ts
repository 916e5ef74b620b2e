import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import {
  assertKnownKeys,
  assertOptions,
  assertString,
  isNetworkError,
  optionKeys,
} from "@mcp-prod/internal";

/** Options of {@link startBalancer}. */
export type BalancerOptions = {
  /** The replicas, as base URLs (`http://127.0.0.1:3001`). */
  readonly targets: readonly string[];
  /** Address to listen on. @default "127.0.0.1" */
  readonly host?: string;
  /** Port to listen on; `0` picks a free one. @default 0 */
  readonly port?: number;
  /** Largest request body passed on (it is held, so a refused connection can go to the next replica). @default 16777216 */
  readonly maxBodyBytes?: number;
};

/** A running balancer. */
export type Balancer = {
  /** `http://host:port`. */
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
};

const KEYS = optionKeys<BalancerOptions>({
  targets: true,
  host: true,
  port: true,
  maxBodyBytes: true,
});

/**
 * A small round-robin HTTP balancer, to try several gateway replicas on one
 * machine: each request goes to the next replica (no affinity, like an
 * ingress without sticky sessions), and to the one after it when a replica
 * refuses the connection (it is down or restarting). A request a replica
 * received and then failed (it was killed) is not sent again: the client
 * gets 502, as behind nginx. Answers, SSE streams included, flow back as they come. Not for production: use your platform's
 * load balancer.
 *
 * @example
 * ```ts
 * const balancer = await startBalancer({ targets: ["http://127.0.0.1:3001", "http://127.0.0.1:3002"], port: 3000 });
 * ```
 */
export async function startBalancer(options: BalancerOptions): Promise<Balancer> {
  assertOptions(options);
  assertKnownKeys(options, KEYS, "startBalancer()");
  const { targets, host = "127.0.0.1", port = 0, maxBodyBytes = 16_777_216 } = options;
  if (!Array.isArray(targets) || targets.length === 0 || !targets.every((url) => URL.canParse(url)))
    throw new TypeError(
      `Expected \`targets\` to be a non-empty array of URLs, got ${JSON.stringify(targets)}`,
    );
  assertString(host, "host");
  const upstreams = targets.map((target) => new URL(target));
  const agent = new Agent({ keepAlive: true });
  let next = 0;

  const attempt = (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    tried: number,
  ): void => {
    const target = upstreams[next % upstreams.length] as URL;
    next += 1;
    const outgoing = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        agent,
        headers: {
          ...req.headers,
          "x-forwarded-for": req.socket.remoteAddress ?? "",
          "content-length": String(body.length),
        },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.once("error", () => res.destroy());
        answer.once("close", () => {
          if (!answer.complete) res.destroy();
        });
      },
    );
    // Whether the connection to the replica was ever made: until then, it has not got the request.
    let connected = false;
    outgoing.once("socket", (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once("connect", () => (connected = true));
    });
    res.once("close", () => {
      if (!res.writableFinished) outgoing.destroy();
    });
    outgoing.once("error", (error) => {
      if (res.headersSent) return void res.destroy();
      // The replica never got the request: the connection failed (down, restarting), or it
      // closed a kept-alive one just before it was used. Only then is it safe to try the next.
      const unsent = isNetworkError(error) && (!connected || outgoing.reusedSocket);
      if (unsent && tried + 1 < upstreams.length) attempt(req, res, body, tried + 1);
      else res.writeHead(502, { "content-type": "text/plain" }).end("the replica did not answer\n");
    });
    outgoing.end(body);
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBodyBytes) return void res.writeHead(413).end();
      chunks.push(chunk as Buffer);
    }
    attempt(req, res, Buffer.concat(chunks), 0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
