import {
  assertKnownKeys,
  assertNonNegativeInteger,
  assertNonNegativeNumber,
  assertOptions,
  assertPositiveInteger,
  assertPositiveNumber,
  assertString,
} from "@mcp-prod/internal";
import type { PoolConfig } from "pg";
import { assertConnectionString } from "./connection-string.ts";
import {
  CONNECTION_FOREIGN_KEYS,
  CONNECTION_KEYS,
  POOL_FOREIGN_KEYS,
  POOL_KEYS,
} from "./option-keys.ts";
import type { PoolOptions } from "./types.ts";

/** The options of a pool, checked and with their defaults filled in. */
export type PoolSettings = {
  readonly name: string;
  readonly max: number;
  readonly min: number;
  readonly connectTimeoutMs: number;
  readonly queryTimeoutMs: number;
  readonly lifetimeMs: number;
  readonly leakMs: number;
  readonly validateAfterMs: number;
  readonly transactionAttempts: number;
  readonly queryAttempts: number;
  /** What `pg.Pool` is created with. */
  readonly config: PoolConfig;
};

function validatePositiveOrZero(value: unknown, name: string): void {
  assertNonNegativeNumber(value, name, true);
}

/** Checks the options of `createPool()`, throwing a `TypeError` naming the first bad one. */
export function resolvePoolOptions(options: PoolOptions): PoolSettings {
  assertOptions(options);
  assertKnownKeys(options, POOL_KEYS, "createPool()", POOL_FOREIGN_KEYS);
  const {
    connectionString,
    connection = {},
    name = "pool",
    max = 20,
    min = 0,
    idleTimeoutMillis = 30_000,
    connectionTimeoutMillis = 2000,
    statementTimeoutMs = 30_000,
    maxLifetimeSeconds = 1800,
    applicationName,
    leakDetectionMs = 0,
    validateAfterIdleMs = 0,
    transactionAttempts = 3,
    queryAttempts = 3,
  } = options;
  const { queryTimeoutMs = statementTimeoutMs > 0 ? statementTimeoutMs + 5000 : 35_000 } = options;
  assertString(connectionString, "connectionString", true);
  assertOptions(connection, "connection");
  assertKnownKeys(
    connection,
    CONNECTION_KEYS,
    "createPool() `connection`",
    CONNECTION_FOREIGN_KEYS,
  );
  assertString(name, "name");
  assertPositiveInteger(max, "max");
  assertNonNegativeInteger(min, "min");
  if (min > max) {
    throw new TypeError(`Expected \`min\` to be at most \`max\` (${max}), got ${min}`);
  }
  validatePositiveOrZero(idleTimeoutMillis, "idleTimeoutMillis");
  assertPositiveNumber(connectionTimeoutMillis, "connectionTimeoutMillis");
  validatePositiveOrZero(statementTimeoutMs, "statementTimeoutMs");
  validatePositiveOrZero(queryTimeoutMs, "queryTimeoutMs");
  validatePositiveOrZero(maxLifetimeSeconds, "maxLifetimeSeconds");
  assertString(applicationName, "applicationName", true);
  validatePositiveOrZero(leakDetectionMs, "leakDetectionMs");
  validatePositiveOrZero(validateAfterIdleMs, "validateAfterIdleMs");
  assertPositiveInteger(transactionAttempts, "transactionAttempts");
  assertPositiveInteger(queryAttempts, "queryAttempts");

  const config: PoolConfig = {
    keepAlive: true,
    ...connection,
    max,
    min,
    idleTimeoutMillis,
    connectionTimeoutMillis,
  };
  if (connectionString !== undefined) {
    assertConnectionString(connectionString);
    config.connectionString = connectionString;
  }
  if (statementTimeoutMs > 0) config.statement_timeout = statementTimeoutMs;
  if (applicationName !== undefined) config.application_name = applicationName;

  return {
    name,
    max,
    min,
    connectTimeoutMs: connectionTimeoutMillis,
    queryTimeoutMs,
    lifetimeMs: maxLifetimeSeconds * 1000,
    leakMs: leakDetectionMs,
    validateAfterMs: validateAfterIdleMs,
    transactionAttempts,
    queryAttempts,
    config,
  };
}
