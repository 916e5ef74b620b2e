import Redis from "ioredis";
import pg from "pg";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  createTcpProxy,
  databaseUrl,
  redisUrl,
  startPostgres,
  startRedis,
  waitFor,
} from "./index.ts";

describe("testkit", () => {
  it("starts a private redis-server that can be killed and restarted on the same port", async () => {
    const redis = await startRedis();
    onTestFinished(() => redis.stop());
    const client = new Redis(redis.url, {
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      retryStrategy: () => 50,
    });
    // Connection errors are expected while the server is down; the assertions below check them.
    client.on("error", () => {});
    onTestFinished(() => {
      client.disconnect();
    });
    await client.connect();
    expect(await client.ping()).toBe("PONG");
    await redis.kill();
    await expect(client.ping()).rejects.toThrow();
    await redis.restart();
    // ioredis may be ready again before a listener could be attached: poll its status.
    await waitFor(() => client.status === "ready", { what: "ioredis to reconnect" });
    expect(await client.ping()).toBe("PONG");
  });

  it("proxies to the shared Redis and cuts connections on down()", async () => {
    const target = new URL(redisUrl());
    const proxy = await createTcpProxy({
      host: target.hostname,
      port: Number(target.port || 6379),
    });
    onTestFinished(() => proxy.close());
    const client = new Redis({
      port: proxy.port,
      host: "127.0.0.1",
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    onTestFinished(() => {
      client.disconnect();
    });
    expect(await client.ping()).toBe("PONG");
    proxy.down();
    await expect(client.ping()).rejects.toThrow();
    expect(proxy.connections).toBe(1);
  });

  it("starts a private PostgreSQL that can be stopped and started", async () => {
    const postgres = await startPostgres();
    onTestFinished(() => postgres.stop());
    const query = async () => {
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      try {
        return (await client.query<{ one: number }>("SELECT 1 AS one")).rows[0]?.one;
      } finally {
        await client.end();
      }
    };
    expect(await query()).toBe(1);
    await postgres.stopServer();
    await expect(query()).rejects.toThrow();
    await postgres.startServer();
    expect(await query()).toBe(1);
  });

  it("names the shared servers' URLs", () => {
    expect(new URL(databaseUrl()).protocol).toMatch(/^postgres/);
    expect(new URL(redisUrl()).protocol).toBe("redis:");
  });
});
