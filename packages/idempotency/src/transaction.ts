import { IdempotencyError } from "./errors.ts";
import type { IdempotencyTransaction } from "./store.ts";

/** The transaction of each call in flight over a transactional store, by the `extra` its handler was given. */
const transactions = new WeakMap<object, IdempotencyTransaction>();

/** Hands `transaction` to the handler called with `extra` while `run` runs. */
export async function withCallTransaction<T>(
  extra: object | undefined,
  transaction: IdempotencyTransaction | undefined,
  run: () => Promise<T>,
): Promise<T> {
  if (extra === undefined || transaction === undefined) return run();
  transactions.set(extra, transaction);
  try {
    return await run();
  } finally {
    transactions.delete(extra);
  }
}

/**
 * The transaction of a call wrapped by `withIdempotency` over
 * `createPostgresStore({ pool, transactional: true })`, from the handler's
 * `extra` (SDK 1.x) or `ctx` (2.x). The call's idempotency record is written
 * in it: the handler's writes through it and the record commit together, or
 * neither does (a thrown error, a process that dies). A call without a key
 * runs in a transaction too, without a record. Throws `IdempotencyError`
 * `EIDEMPOTENCYNOTRANSACTION` anywhere else.
 *
 * @example
 * ```ts
 * import { idempotencyTransaction } from "@mcp-prod/idempotency";
 *
 * const createUser = async ({ email }: { email: string }, extra: object) => {
 *   const tx = idempotencyTransaction(extra);
 *   const { rows } = await tx.query<{ id: number }>("INSERT INTO users (email) VALUES ($1) RETURNING id", [email]);
 *   return { content: [{ type: "text" as const, text: `Created user ${rows[0]?.id}` }] };
 * };
 * ```
 */
export function idempotencyTransaction(extra: unknown): IdempotencyTransaction {
  const transaction =
    typeof extra === "object" && extra !== null ? transactions.get(extra) : undefined;
  if (transaction === undefined)
    throw new IdempotencyError(
      "EIDEMPOTENCYNOTRANSACTION",
      "idempotencyTransaction(extra) was called outside a call wrapped by withIdempotency() over createPostgresStore({ transactional: true }); pass the handler's own `extra`",
    );
  return transaction;
}
