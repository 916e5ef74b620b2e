export {
  type EverythingServer,
  type EverythingServerOptions,
  startEverythingServer,
} from "./conformance/everything-server.ts";
export {
  createEverythingMcpServer,
  type FixtureSession,
  PNG_1X1_BASE64,
  WATCHED_RESOURCE_URI,
  WAV_SILENCE_BASE64,
} from "./conformance/fixtures.ts";
export { type HttpAnswer, httpGet, type Listening, listen } from "./http.ts";
export {
  type ConnectOptions,
  connectInMemory,
  connectInMemory2,
  type Deferred,
  deferred,
  type InMemoryConnection,
  serveInMemory,
  serveInMemory2,
} from "./in-memory.ts";
export { textResult } from "./mcp.ts";
export { freePort, waitFor } from "./net.ts";
export { type PrivatePostgres, startPostgres } from "./postgres.ts";
export { createTcpProxy, type TcpProxy } from "./proxy.ts";
export { type PrivateRedis, startRedis } from "./redis.ts";
export { databaseUrl, redisUrl } from "./urls.ts";
export { warningsDuring } from "./warnings.ts";
