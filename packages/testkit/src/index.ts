export { freePort, waitFor } from "./net.ts";
export { type PrivatePostgres, startPostgres } from "./postgres.ts";
export { createTcpProxy, type TcpProxy } from "./proxy.ts";
export { type PrivateRedis, startRedis } from "./redis.ts";
export { databaseUrl, redisUrl } from "./urls.ts";
