export {
  PoolError,
  type PoolErrorCode,
  type PoolStats,
  PoolTimeoutError,
  QueryTimeoutError,
} from "./errors.ts";
export { createPool, type Pool } from "./pool.ts";
export { isTransientError } from "./transient.ts";
export type {
  HealthStatus,
  PoolConnection,
  PoolEvents,
  PoolHealth,
  PoolOptions,
  Queryable,
  QueryOptions,
  QueryText,
  StatementOptions,
  Transaction,
  TransactionContext,
  TransactionOptions,
} from "./types.ts";
