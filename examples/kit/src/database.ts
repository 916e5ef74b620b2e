import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export type Database = {
  readonly url: string;
  /** True when this process runs an embedded PGlite (DATABASE_URL unset). */
  readonly embedded: boolean;
  close(): Promise<void>;
};

/**
 * The real PostgreSQL at `url`, or, when it is unset, an embedded PGlite
 * served over the PostgreSQL wire protocol on loopback, so the pool talks to
 * it through pg exactly as to a real server. PGlite runs one transaction at a
 * time across its connections: for trying things out, not for production.
 */
export async function openDatabase(
  url: string | undefined,
  maxConnections: number,
): Promise<Database> {
  if (url) return { url, embedded: false, close: async () => {} };
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections });
  await server.start();
  const port = Number(server.getServerConn().split(":").pop());
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    embedded: true,
    close: async () => {
      await server.stop();
      await db.close();
    },
  };
}
