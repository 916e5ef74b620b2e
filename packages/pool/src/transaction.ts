import {
  assertBoolean,
  assertFunction,
  assertKnownKeys,
  assertOneOf,
  assertOptions,
  assertPositiveInteger,
  delay,
  throwIfAborted,
} from "@mcp-prod/internal";
import type { Acquirer } from "./acquire.ts";
import { connectRetryDelay } from "./backoff.ts";
import { PoolError } from "./errors.ts";
import type { Lease } from "./leases.ts";
import type { TransactionOptions } from "./options.ts";
import { TRANSACTION_KEYS } from "./options.ts";
import type { Statements } from "./statements.ts";
import { isSerializationError } from "./transient.ts";
import type { Transaction, TransactionContext } from "./types.ts";

const ISOLATION_LEVELS = ["read committed", "repeatable read", "serializable"] as const;

/** What a transaction needs of its pool. */
export type TransactionHost = {
  readonly acquirer: Acquirer;
  readonly statements: Statements;
  /** `transactionAttempts`, used when the call sets no `maxAttempts`. */
  readonly attempts: number;
  release(lease: Lease): void;
};

/**
 * Runs `fn` inside `BEGIN … COMMIT` on one connection, rolling back when it
 * throws, and runs it again whole after a serialization failure or deadlock.
 */
export async function runTransaction<T>(
  host: TransactionHost,
  fn: (tx: Transaction, context: TransactionContext) => Promise<T> | T,
  options: TransactionOptions,
): Promise<T> {
  assertFunction(fn, "fn");
  assertOptions(options);
  assertKnownKeys(options, TRANSACTION_KEYS, "pool.transaction()");
  const { signal, isolationLevel, readOnly = false, maxAttempts = host.attempts } = options;
  assertOneOf(isolationLevel, "isolationLevel", ISOLATION_LEVELS, true);
  assertBoolean(readOnly, "readOnly");
  assertPositiveInteger(maxAttempts, "maxAttempts");
  let begin = "BEGIN";
  if (isolationLevel) begin += ` ISOLATION LEVEL ${isolationLevel.toUpperCase()}`;
  if (readOnly) begin += " READ ONLY";

  const { acquirer, statements } = host;
  for (let attempt = 1; ; attempt += 1) {
    const lease = await acquirer.acquire(signal);
    const tx = statements.queryable(lease, signal);
    try {
      await statements.run(lease, begin, undefined, { signal });
      const result = await fn(tx, { signal, attempt });
      const commit = await statements.run(lease, "COMMIT", undefined, { signal });
      // PostgreSQL answers COMMIT of a transaction that already failed with
      // ROLLBACK and no error; report it instead of losing the writes silently.
      if (commit.command === "ROLLBACK") {
        throw new PoolError(
          "EROLLEDBACK",
          "The transaction was rolled back by the server: a statement in it failed and the error was caught",
        );
      }
      host.release(lease);
      return result;
    } catch (error) {
      await rollback(statements, lease);
      host.release(lease);
      if (attempt >= maxAttempts || !isSerializationError(error)) throw error;
      throwIfAborted(signal);
      await delay(connectRetryDelay(attempt), signal);
    }
  }
}

async function rollback(statements: Statements, lease: Lease): Promise<void> {
  if (lease.broken) return;
  try {
    await statements.run(lease, "ROLLBACK", undefined, {});
  } catch (error) {
    lease.broken ??= error;
  }
}
