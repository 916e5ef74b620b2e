export {
  compose,
  POLICY_ORDER,
  type PolicyContext,
  type PolicyKind,
  type ToolHandler,
  type ToolPolicy,
  type ToolResult,
} from "@mcp-prod/internal";
export { IdempotencyError, type IdempotencyErrorCode } from "./errors.ts";
export { createMemoryStore, type MemoryStoreOptions } from "./memory-store.ts";
export type { WithIdempotencyOptions } from "./options.ts";
export {
  createPostgresStore,
  type PostgresPoolLike,
  type PostgresStoreOptions,
} from "./postgres-store.ts";
export { createRedisStore, type RedisClientLike, type RedisStoreOptions } from "./redis-store.ts";
export type {
  Claim,
  ClaimRequest,
  IdempotencyEvents,
  IdempotencyStore,
  IdempotencyTransaction,
  Lease,
  StoredRecord,
} from "./store.ts";
export { idempotencyTransaction } from "./transaction.ts";
export {
  IDEMPOTENCY_KEY_META,
  IDEMPOTENCY_META_KEY,
  type IdempotencyMeta,
  withIdempotency,
} from "./with-idempotency.ts";
