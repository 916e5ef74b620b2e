export {
  PoolError,
  type PoolErrorCode,
  type PoolStats,
  PoolTimeoutError,
  QueryTimeoutError,
} from "./errors.ts";
export type {
  ConnectionOptions,
  PoolOptions,
  QueryOptions,
  StatementOptions,
  TransactionOptions,
} from "./options.ts";
export { createPool, type Pool } from "./pool.ts";
export { isTransientError } from "./transient.ts";
export type {
  HealthStatus,
  PoolConnection,
  PoolEvents,
  PoolHealth,
  Queryable,
  QueryText,
  Transaction,
  TransactionContext,
} from "./types.ts";
