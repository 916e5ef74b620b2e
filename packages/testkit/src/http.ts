import { type Agent, createServer, get, type RequestListener, type Server } from "node:http";

/** An HTTP server listening on loopback for a test. */
export type Listening = {
  readonly server: Server;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops listening and drops the connections still open. */
  close(): Promise<void>;
};

/**
 * An HTTP server for `handler` on a free loopback port; `close()` also drops
 * its open connections, so a test never waits on a kept-alive socket.
 *
 * @example
 * ```ts
 * const upstream = await listen((_request, response) => response.end("ok"));
 * onTestFinished(upstream.close);
 * await fetch(upstream.url);
 * ```
 */
export async function listen(handler: RequestListener): Promise<Listening> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        if (!server.listening) {
          resolve();
          return;
        }
        server.close(() => resolve());
      }),
  };
}

/** What {@link httpGet} received. */
export type HttpAnswer = {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are read field by field
  readonly json: any;
};

/**
 * A GET with `node:http`, so a test controls the agent and its sockets (a
 * fresh connection each time unless an `agent` is given).
 *
 * @example
 * ```ts
 * const { status, json } = await httpGet(`${url}/health/ready`);
 * ```
 */
export function httpGet(url: string, agent?: Agent): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    get(url, agent ? { agent } : { agent: false }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () => {
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
      });
      response.on("error", reject);
    }).on("error", reject);
  });
}
