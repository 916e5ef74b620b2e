import { createConnection, createServer, type Server, type Socket } from "node:net";

export type TcpProxy = {
  readonly port: number;
  /** How many client connections the proxy has accepted so far. */
  readonly connections: number;
  /** Refuse new connections and cut the open ones (the server is "gone"). */
  down(): void;
  /** Accept and forward connections again. */
  up(): void;
  /** Keep connections open but forward nothing (a "hung" server): traffic is held until `unfreeze()`. */
  freeze(): void;
  unfreeze(): void;
  /** Cut every open connection once; new ones are still accepted. */
  cut(): void;
  close(): Promise<void>;
};

/** A loopback TCP proxy in front of `target`, for breaking connections without touching the real server. */
export async function createTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let accepting = true;
  let frozen = false;
  let accepted = 0;

  const server: Server = createServer((client) => {
    accepted += 1;
    if (!accepting) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: target.host ?? "127.0.0.1", port: target.port });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
    if (frozen) {
      client.pause();
      upstream.pause();
    } else {
      link(pair);
    }
  });

  const link = ([client, upstream]: [Socket, Socket]) => {
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const cut = () => {
    for (const [client, upstream] of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  return {
    port,
    get connections() {
      return accepted;
    },
    down: () => {
      accepting = false;
      cut();
    },
    up: () => {
      accepting = true;
    },
    freeze: () => {
      frozen = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    unfreeze: () => {
      frozen = false;
      for (const pair of pairs) link(pair);
    },
    cut,
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}
