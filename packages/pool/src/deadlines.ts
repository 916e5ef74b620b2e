import { QueryTimeoutError } from "./errors.ts";

/**
 * A statement under a client-side timeout, watched by the pool's one deadline
 * timer; linked into the list of them (a Set's add/delete per statement cost
 * more than the per-statement timer this replaces).
 */
export type TimedStatement = {
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly giveUp: (reason: unknown) => void;
  previous: TimedStatement | undefined;
  next: TimedStatement | undefined;
};

/**
 * The client-side timeouts of a pool's statements in flight, under one timer
 * armed for the earliest deadline: a setTimeout/clearTimeout pair per
 * statement cost more than the rest of query() over pg.Pool's own.
 */
export class StatementDeadlines {
  #timed: TimedStatement | undefined;
  #timer: NodeJS.Timeout | undefined;
  #deadlineAt = Number.POSITIVE_INFINITY;

  /** Calls `giveUp` with a {@link QueryTimeoutError} once `timeoutMs` from `startedAt` has passed. */
  watch(startedAt: number, timeoutMs: number, giveUp: (reason: unknown) => void): TimedStatement {
    const timed: TimedStatement = {
      deadline: startedAt + timeoutMs,
      timeoutMs,
      giveUp,
      previous: undefined,
      next: this.#timed,
    };
    if (this.#timed) this.#timed.previous = timed;
    this.#timed = timed;
    if (timed.deadline < this.#deadlineAt) this.#arm(timed.deadline, startedAt);
    return timed;
  }

  /** The statement has finished: stop watching it. */
  unwatch(statement: TimedStatement): void {
    const { previous, next } = statement;
    if (previous) previous.next = next;
    else if (this.#timed === statement) this.#timed = next;
    if (next) next.previous = previous;
    statement.previous = undefined;
    statement.next = undefined;
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
  }

  #arm(deadline: number, now: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#deadlineAt = deadline;
    this.#timer = setTimeout(() => this.#expire(), Math.max(1, deadline - now));
    // Only statements in flight need it, and their sockets keep the process alive.
    this.#timer.unref();
  }

  /** Gives up on every statement past its deadline and re-arms for the next one. */
  #expire(): void {
    this.#timer = undefined;
    this.#deadlineAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    let statement = this.#timed;
    while (statement) {
      // Read before giveUp unlinks it; statements giveUp's callbacks start go to the head, already passed.
      const following: TimedStatement | undefined = statement.next;
      if (statement.deadline <= now) statement.giveUp(new QueryTimeoutError(statement.timeoutMs));
      else if (statement.deadline < next) next = statement.deadline;
      statement = following;
    }
    if (next < this.#deadlineAt) this.#arm(next, now);
  }
}
