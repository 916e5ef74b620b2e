import { type Attributes, assertKnownKeys, delay } from "@mcp-prod/internal";
import type { QueryResult, QueryResultRow } from "pg";
import type { Acquirer } from "./acquire.ts";
import { connectRetryDelay } from "./backoff.ts";
import type { Lease } from "./leases.ts";
import type { QueryOptions } from "./options.ts";
import { QUERY_KEYS } from "./options.ts";
import type { Statements } from "./statements.ts";
import { startStatementSpan, traced } from "./tracing.ts";
import { isConnectionError } from "./transient.ts";
import type { QueryText } from "./types.ts";

/** The options of a `pool.query()` given none: no keys to check. */
export const NO_OPTIONS: QueryOptions = Object.freeze({});

/** What `pool.query()` needs of its pool. */
export type QueryHost = {
  readonly acquirer: Acquirer;
  readonly statements: Statements;
  readonly queryTimeoutMs: number;
  readonly queryAttempts: number;
  /** The database the spans name, worked out when first needed. */
  readonly target: () => Attributes;
  isClosed(): boolean;
  release(lease: Lease): void;
};

/**
 * Runs one statement on a connection checked out for it alone, retrying it
 * after a connection failure only when `idempotent`.
 */
export function runQuery<Row extends QueryResultRow>(
  host: QueryHost,
  text: QueryText,
  values: ReadonlyArray<unknown> | undefined,
  options: QueryOptions,
): Promise<QueryResult<Row>> {
  if (options !== NO_OPTIONS) {
    try {
      assertKnownKeys(options, QUERY_KEYS, "pool.query()");
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const { signal, idempotent = false, timeoutMs = host.queryTimeoutMs } = options;
  const attempts = idempotent ? host.queryAttempts : 1;
  const span = startStatementSpan(text, host.target);
  // Callbacks rather than nested promises: this is the path every statement
  // takes, and it must cost next to nothing over pg.Pool's own query().
  const pending = new Promise<QueryResult<Row>>((resolve, reject) => {
    const attempt = (number: number) => {
      // A statement's checkout ends with the statement (bounded by
      // queryTimeoutMs), so it records the SQL instead of paying for a stack.
      host.acquirer.acquireThen(signal, text, (acquireError, lease) => {
        if (!lease) {
          reject(acquireError);
          return;
        }
        // Checked out in this very tick: its checkout time is the statement's start.
        host.statements.runThen<Row>(
          lease,
          text,
          values,
          timeoutMs,
          signal,
          lease.since,
          (error, result) => {
            host.release(lease);
            if (result) {
              resolve(result);
              return;
            }
            if (
              number >= attempts ||
              host.isClosed() ||
              signal?.aborted ||
              !isConnectionError(error)
            ) {
              reject(error);
              return;
            }
            delay(connectRetryDelay(number), signal).then(() => attempt(number + 1), reject);
          },
        );
      });
    };
    attempt(1);
  });
  return traced(pending, span);
}
