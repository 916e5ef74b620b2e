export {
  PoolError,
  type PoolErrorCode,
  type PoolStats,
  PoolTimeoutError,
  QueryTimeoutError,
} from "./errors.ts";
export {
  createPool,
  type HealthStatus,
  type Pool,
  type PoolConnection,
  type PoolEvents,
  type PoolOptions,
  type Queryable,
  type QueryOptions,
  type QueryText,
  type StatementOptions,
  type Transaction,
  type TransactionContext,
  type TransactionOptions,
} from "./pool.ts";
export { isTransientError } from "./transient.ts";
