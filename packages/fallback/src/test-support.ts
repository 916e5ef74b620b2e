/**
 * Helpers shared by this package's tests and benchmark (not exported by the
 * package).
 */

type Endpoint<Transport> = {
  connect(transport: Transport): Promise<unknown>;
  close(): Promise<unknown>;
};

/**
 * Connects a fresh server and client per call through an in-memory transport
 * pair, for either SDK generation, and closes every pair in `closeAll()`.
 */
export function inMemoryPairs<
  Server extends Endpoint<Transport>,
  Client extends Endpoint<Transport>,
  Transport,
>(make: { server: () => Server; client: () => Client; link: () => [Transport, Transport] }) {
  const open: Array<Endpoint<Transport>> = [];
  return {
    async connect(register: (server: Server) => void): Promise<{ server: Server; client: Client }> {
      const server = make.server();
      register(server);
      const client = make.client();
      const [clientTransport, serverTransport] = make.link();
      await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
      open.push(client, server);
      return { server, client };
    },
    async closeAll(): Promise<void> {
      await Promise.all(open.splice(0).map((endpoint) => endpoint.close()));
    },
  };
}

export function text(value: string) {
  return { content: [{ type: "text" as const, text: value }] };
}

export { deferred } from "@mcp-prod/testkit";

/** How many AbortControllers are constructed while `run` runs. */
export async function countAbortControllers(run: () => Promise<unknown>): Promise<number> {
  const Original = globalThis.AbortController;
  let created = 0;
  globalThis.AbortController = class extends Original {
    constructor() {
      super();
      created += 1;
    }
  };
  try {
    await run();
  } finally {
    globalThis.AbortController = Original;
  }
  return created;
}
