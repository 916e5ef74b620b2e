import {
  type Attributes,
  abortReason,
  assertKnownKeys,
  type DeadlineEntry,
  DeadlineQueue,
  errorCode,
  noop,
  onAbort,
} from "@mcp-prod/internal";
import type { QueryResult, QueryResultRow } from "pg";
import { type CancellableClient, sendCancelRequest } from "./cancel-request.ts";
import { connectionLost, PoolError, QueryTimeoutError } from "./errors.ts";
import type { Lease } from "./leases.ts";
import type { StatementOptions } from "./options.ts";
import { STATEMENT_KEYS } from "./options.ts";
import { startStatementSpan, traced } from "./tracing.ts";
import { isConnectionError } from "./transient.ts";
import type { Queryable, QueryText } from "./types.ts";

function isFatal(error: unknown): boolean {
  const severity = (error as { severity?: unknown } | null)?.severity;
  return severity === "FATAL" || severity === "PANIC" || isConnectionError(error);
}

/** A statement under a client-side timeout, in the pool's one deadline queue. */
type TimedStatement = DeadlineEntry & {
  readonly timeoutMs: number;
  readonly giveUp: (reason: unknown) => void;
};

/**
 * Runs statements on checked-out connections under their client-side timeout
 * and signal, marking a connection broken when it can no longer be trusted.
 */
export class Statements {
  // One timer for every statement's timeout: a setTimeout/clearTimeout pair per
  // statement cost more than the rest of query() over pg.Pool's own.
  readonly #deadlines = new DeadlineQueue<TimedStatement>((statement) =>
    statement.giveUp(new QueryTimeoutError(statement.timeoutMs)),
  );
  readonly #queryTimeoutMs: number;
  readonly #target: () => Attributes;
  readonly #breakLease: (lease: Lease, error: unknown) => void;

  /**
   * @param target the database the spans name, worked out when first needed
   * @param breakLease marks a held connection dead (counted once per lease)
   */
  constructor(
    queryTimeoutMs: number,
    target: () => Attributes,
    breakLease: (lease: Lease, error: unknown) => void,
  ) {
    this.#queryTimeoutMs = queryTimeoutMs;
    this.#target = target;
    this.#breakLease = breakLease;
  }

  /** Stops the deadline timer; statements still running keep their connection's fate. */
  close(): void {
    this.#deadlines.clear();
  }

  /** Statements on `lease`, refused once it is released; `defaultSignal` applies to each. */
  queryable(lease: Lease, defaultSignal: AbortSignal | undefined): Queryable {
    return {
      query: <Row extends QueryResultRow = QueryResultRow>(
        text: QueryText,
        values?: ReadonlyArray<unknown>,
        options: StatementOptions = {},
      ): Promise<QueryResult<Row>> => {
        if (lease.released) {
          return Promise.reject(
            new PoolError(
              "ERELEASED",
              "This connection was already returned to the pool; statements on it are refused",
            ),
          );
        }
        try {
          assertKnownKeys(options, STATEMENT_KEYS, "tx.query()", {
            idempotent:
              "not supported inside a transaction or on an acquired connection: retrying one statement of it is never safe",
          });
        } catch (error) {
          return Promise.reject(error);
        }
        const signal = options.signal ?? defaultSignal;
        return this.run<Row>(lease, text, values, { ...options, signal });
      },
    };
  }

  /** Runs one traced statement on a held connection. */
  run<Row extends QueryResultRow>(
    lease: Lease,
    text: QueryText,
    values: ReadonlyArray<unknown> | undefined,
    options: StatementOptions,
  ): Promise<QueryResult<Row>> {
    const { signal, timeoutMs = this.#queryTimeoutMs } = options;
    const span = startStatementSpan(text, this.#target);
    const pending = new Promise<QueryResult<Row>>((resolve, reject) => {
      this.runThen<Row>(
        lease,
        text,
        values,
        timeoutMs,
        signal,
        performance.now(),
        (error, result) => (result ? resolve(result) : reject(error)),
      );
    });
    return traced(pending, span);
  }

  /**
   * Runs one statement on a held connection under the timeout (counted from
   * `startedAt`, a `performance.now()` of this tick) and signal; calls back exactly once.
   */
  runThen<Row extends QueryResultRow>(
    lease: Lease,
    text: QueryText,
    values: ReadonlyArray<unknown> | undefined,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    startedAt: number,
    callback: (error: unknown, result?: QueryResult<Row>) => void,
  ): void {
    if (lease.broken !== undefined) {
      callback(lease.broken);
      return;
    }
    if (signal?.aborted) {
      callback(abortReason(signal));
      return;
    }
    let settled = false;
    let timed: TimedStatement | undefined;
    let removeAbort = noop;
    const giveUp = (reason: unknown) => {
      if (settled) return;
      settled = true;
      if (timed) this.#deadlines.remove(timed);
      removeAbort();
      // The statement may still run on the server: ask the server to stop it,
      // and never reuse this connection.
      if (lease.broken === undefined) sendCancelRequest(lease.client as CancellableClient);
      lease.broken ??= reason;
      callback(reason);
    };
    if (timeoutMs > 0) {
      timed = { deadline: 0, previous: undefined, next: undefined, timeoutMs, giveUp };
      this.#deadlines.add(timed, timeoutMs, startedAt);
    }
    if (signal) removeAbort = onAbort(signal, () => giveUp(abortReason(signal)));
    const done = (error: Error | undefined, result: QueryResult<Row>) => {
      if (settled) return;
      settled = true;
      if (timed) this.#deadlines.remove(timed);
      removeAbort();
      if (!error) {
        callback(undefined, result);
        return;
      }
      // pg reported the connection dead (its `error` event came first and broke
      // the lease) and fails the statement with a message but no code: give it one.
      const failure =
        lease.broken !== undefined && errorCode(error) === undefined
          ? connectionLost(error)
          : error;
      // After a FATAL error (pg_terminate_backend, shutdown) or a lost socket the
      // server is closing this connection; pg may not know yet, so never reuse it.
      if (isFatal(failure)) this.#breakLease(lease, failure);
      callback(failure);
    };
    try {
      lease.client.query<Row>(text as string, values as unknown[], done);
    } catch (error) {
      done(error as Error, undefined as never);
    }
  }
}
