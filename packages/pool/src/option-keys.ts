import { type ForeignKeys, optionKeys } from "@mcp-prod/internal";
import type { PoolConfig } from "pg";
import type { PoolOptions, QueryOptions, TransactionOptions } from "./types.ts";

/** pg options this package sets itself from its own, so they cannot be passed through `connection`. */
export type ManagedPgOption =
  | "connectionString"
  | "max"
  | "min"
  | "idleTimeoutMillis"
  | "connectionTimeoutMillis"
  | "statement_timeout"
  | "query_timeout"
  | "maxLifetimeSeconds"
  | "application_name"
  | "allowExitOnIdle"
  | "log"
  | "Client"
  | "onConnect";

/** The options `connection` passes through to node-postgres. */
export type ConnectionOptions = Readonly<Omit<PoolConfig, ManagedPgOption>>;

export const POOL_KEYS = optionKeys<PoolOptions>({
  connectionString: true,
  connection: true,
  name: true,
  max: true,
  min: true,
  idleTimeoutMillis: true,
  connectionTimeoutMillis: true,
  statementTimeoutMs: true,
  queryTimeoutMs: true,
  maxLifetimeSeconds: true,
  applicationName: true,
  leakDetectionMs: true,
  validateAfterIdleMs: true,
  transactionAttempts: true,
  queryAttempts: true,
});

export const CONNECTION_KEYS = optionKeys<ConnectionOptions>({
  user: true,
  database: true,
  password: true,
  port: true,
  host: true,
  keepAlive: true,
  stream: true,
  ssl: true,
  enableChannelBinding: true,
  sslnegotiation: true,
  lock_timeout: true,
  keepAliveInitialDelayMillis: true,
  idle_in_transaction_session_timeout: true,
  fallback_application_name: true,
  types: true,
  options: true,
  client_encoding: true,
  pipeline: true,
  Promise: true,
  maxUses: true,
  verify: true,
});

/**
 * pg-pool takes connection settings at the top level; here they live in
 * `connection`, so `{ host }` would otherwise be ignored and the connection
 * fail later with "no PostgreSQL user name specified".
 */
export const POOL_FOREIGN_KEYS: ForeignKeys = {
  ...Object.fromEntries(
    CONNECTION_KEYS.map((key) => [
      key,
      `use \`connection.${key}\` (node-postgres connection settings go in \`connection\`)`,
    ]),
  ),
  statement_timeout: "use `statementTimeoutMs`",
  query_timeout: "use `queryTimeoutMs`",
  application_name: "use `applicationName`",
  url: "use `connectionString`",
  connectionTimeoutMs: "use `connectionTimeoutMillis` (node-postgres' name)",
  idleTimeoutMs: "use `idleTimeoutMillis` (node-postgres' name)",
};

/** Pool-level settings passed inside `connection` by mistake. */
export const CONNECTION_FOREIGN_KEYS: ForeignKeys = {
  connectionString: "set `connectionString` beside `connection`, not in it",
  max: "set `max` beside `connection`, not in it",
  min: "set `min` beside `connection`, not in it",
  idleTimeoutMillis: "set `idleTimeoutMillis` beside `connection`, not in it",
  connectionTimeoutMillis: "set `connectionTimeoutMillis` beside `connection`, not in it",
  maxLifetimeSeconds: "set `maxLifetimeSeconds` beside `connection`, not in it",
  statement_timeout: "set `statementTimeoutMs` beside `connection`",
  query_timeout: "set `queryTimeoutMs` beside `connection`",
  application_name: "set `applicationName` beside `connection`",
  allowExitOnIdle: "not supported: `pool.close()` lets the process exit",
  log: "not supported: listen to the pool's events instead",
  Client: "not supported",
  onConnect: "not supported: listen to the pool's `connect` event instead",
};

export const QUERY_KEYS: ReadonlySet<string> = new Set(
  optionKeys<QueryOptions>({ signal: true, timeoutMs: true, idempotent: true }),
);

export const STATEMENT_KEYS: ReadonlySet<string> = new Set(["signal", "timeoutMs"]);

export const TRANSACTION_KEYS = optionKeys<TransactionOptions>({
  signal: true,
  isolationLevel: true,
  readOnly: true,
  maxAttempts: true,
});
