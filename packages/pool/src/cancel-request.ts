import { connect } from "node:net";

/** What a CancelRequest needs from a connected pg `Client` (public fields of pg's Client). */
export type CancellableClient = {
  readonly host?: unknown;
  readonly port?: unknown;
  readonly processID?: unknown;
  readonly secretKey?: unknown;
};

const CANCEL_REQUEST_CODE = 80877102;

/**
 * Asks the server to cancel whatever `client`'s backend is running, over a
 * fresh socket, as libpq's PQcancel does. Closing the client's own socket is
 * not enough: PostgreSQL notices a vanished client only when it next writes,
 * so a `pg_sleep` or a long scan would keep running. Best effort: errors are
 * ignored and the socket is dropped after `timeoutMs`.
 */
export function sendCancelRequest(client: CancellableClient, timeoutMs = 1000): void {
  const { host, port, processID, secretKey } = client;
  if (typeof processID !== "number" || typeof secretKey !== "number") return;
  if (typeof port !== "number" || typeof host !== "string") return;
  const socket = host.startsWith("/")
    ? connect({ path: `${host}/.s.PGSQL.${port}` })
    : connect({ host, port });
  socket.unref();
  socket.setTimeout(timeoutMs, () => socket.destroy());
  socket.on("error", () => socket.destroy());
  socket.on("connect", () => {
    const message = Buffer.alloc(16);
    message.writeInt32BE(16, 0);
    message.writeInt32BE(CANCEL_REQUEST_CODE, 4);
    message.writeInt32BE(processID, 8);
    message.writeInt32BE(secretKey, 12);
    socket.end(message);
  });
}
