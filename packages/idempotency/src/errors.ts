import { defineError, McpProdError } from "@mcp-prod/internal";

/** Every `code` an {@link IdempotencyError} can carry; match on these, never on messages. */
export type IdempotencyErrorCode =
  | "EIDEMPOTENCYMISMATCH"
  | "EIDEMPOTENCYINPROGRESS"
  | "EIDEMPOTENCYSTORE"
  | "EIDEMPOTENCYNOTRANSACTION"
  | "EIDEMPOTENCYCLOSED";

/**
 * The error of this package. A wrapped tool answers most of them as an
 * `isError` result whose `_meta["mcp-prod/idempotency"].code` is the code:
 * - `"EIDEMPOTENCYMISMATCH"`: the key was used before with other arguments;
 * - `"EIDEMPOTENCYINPROGRESS"`: the first call with the key still ran after
 *   `waitTimeoutMs` (marked `transient`: the same call later gets its result);
 * - `"EIDEMPOTENCYSTORE"`: the store failed or did not answer in time and
 *   `storeErrors` is `"closed"` (transient);
 * - `"EIDEMPOTENCYNOTRANSACTION"`: `idempotencyTransaction(extra)` was called
 *   outside a call wrapped over a transactional PostgreSQL store (thrown);
 * - `"EIDEMPOTENCYCLOSED"`: the store was closed.
 *
 * @example
 * ```ts
 * import { IdempotencyError } from "@mcp-prod/idempotency";
 *
 * try {
 *   await store.close();
 * } catch (error) {
 *   if (IdempotencyError.isInstance(error)) console.error(error.code);
 * }
 * ```
 */
export class IdempotencyError extends McpProdError<IdempotencyErrorCode> {
  override readonly name = "IdempotencyError";
  /** Trying the same call again later may succeed. */
  readonly transient: boolean;

  constructor(code: IdempotencyErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.transient = code === "EIDEMPOTENCYINPROGRESS" || code === "EIDEMPOTENCYSTORE";
  }

  static {
    defineError(IdempotencyError, "idempotency", "IdempotencyError");
  }
}
