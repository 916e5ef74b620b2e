import { createTcpProxy, databaseUrl, type TcpProxy } from "@mcp-prod/testkit";
import { onTestFinished } from "vitest";
import type { PoolOptions } from "./options.ts";
import { createPool, type Pool } from "./pool.ts";

// This package's own test helpers; the shared ones (private servers, proxies) are testkit's.

/**
 * A pool whose connections go through a TCP proxy in front of the shared
 * PostgreSQL, to break them; both are closed when the calling test finishes.
 */
export async function proxiedPool(options: PoolOptions): Promise<{ pool: Pool; proxy: TcpProxy }> {
  const target = new URL(databaseUrl());
  const proxy = await createTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const pool = createPool({
    ...options,
    connectionString: `postgres://${target.username}@127.0.0.1:${proxy.port}${target.pathname}`,
  });
  onTestFinished(() => proxy.close());
  onTestFinished(() => pool.close({ timeoutMs: 1000 }));
  return { pool, proxy };
}
