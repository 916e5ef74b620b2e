/**
 * What a {@link DeadlineQueue} links: the queue writes these fields, the
 * owner only reads `deadline`. Intrusive links let an entry leave the queue in
 * O(1) with no Set or Map of its own.
 */
export interface DeadlineEntry {
  /** When the entry expires, on the `performance.now()` clock; set by `add()`. */
  deadline: number;
  /** The entry before this one while queued, else `undefined`. */
  previous: DeadlineEntry | undefined;
  /** The entry after this one while queued, else `undefined`. */
  next: DeadlineEntry | undefined;
}

// How far back from the tail an out-of-order entry is walked to its place
// before the queue stops keeping order and scans on each expiry instead.
const MAX_WALK = 8;

/**
 * Many deadlines on one timer: a setTimeout/clearTimeout pair per call costs
 * more than the rest of a fast call. Entries stay in deadline order in a
 * doubly linked list, so when they share a timeout (the common case) `add`
 * appends, `remove` unlinks and an expiry takes only the entries due, each
 * O(1). An entry whose deadline falls far before the tail's (a short
 * per-statement timeout among long ones) is appended out of order; the queue
 * then scans on expiry until it is back in order or empty. The one timer is
 * `unref()`'d (a deadline never holds the process open: the work's own I/O
 * does) and is not cleared when an entry leaves: it lapses at most once with
 * nothing to do, which is cheaper than clearing and re-arming per call.
 *
 * @example
 * ```ts
 * const deadlines = new DeadlineQueue<Pending>((pending) => pending.fail(new TimeoutError()));
 * deadlines.add(pending, 2000);
 * // ...when the work settles first:
 * deadlines.remove(pending);
 * ```
 */
export class DeadlineQueue<Entry extends DeadlineEntry> {
  #head: Entry | undefined;
  #tail: Entry | undefined;
  #ordered = true;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedFor = Number.POSITIVE_INFINITY;
  readonly #onExpire: (entry: Entry) => void;

  /** @param onExpire called with each entry whose deadline has passed, after it left the queue */
  constructor(onExpire: (entry: Entry) => void) {
    this.#onExpire = onExpire;
  }

  /** Whether no entry is waiting. */
  get isEmpty(): boolean {
    return this.#head === undefined;
  }

  /** Whether a timer is armed (it may lapse once with nothing left to expire). */
  get hasTimer(): boolean {
    return this.#timer !== undefined;
  }

  /** Queues `entry` to expire `timeoutMs` after `startedAt` (a `performance.now()`). */
  add(entry: Entry, timeoutMs: number, startedAt: number = performance.now()): void {
    const deadline = startedAt + timeoutMs;
    entry.deadline = deadline;
    const tail = this.#tail;
    if (tail === undefined) {
      entry.previous = undefined;
      entry.next = undefined;
      this.#head = entry;
      this.#tail = entry;
    } else if (tail.deadline <= deadline || !this.#ordered) {
      entry.previous = tail;
      entry.next = undefined;
      tail.next = entry;
      this.#tail = entry;
    } else {
      this.#insertBefore(entry, tail);
    }
    if (deadline < this.#armedFor) this.#arm(deadline, startedAt);
  }

  /** Takes `entry` out of the queue; false when it was not queued (expired, removed or cleared). */
  remove(entry: Entry): boolean {
    const { previous, next } = entry;
    if (previous === undefined) {
      if (this.#head !== entry) return false;
      this.#head = next as Entry | undefined;
    } else {
      previous.next = next;
      entry.previous = undefined;
    }
    if (next === undefined) this.#tail = previous as Entry | undefined;
    else {
      next.previous = previous;
      entry.next = undefined;
    }
    if (this.#head === undefined) this.#ordered = true;
    return true;
  }

  /** Drops every entry without expiring it and stops the timer (on close). */
  clear(): void {
    this.#stop();
    let entry = this.#head;
    this.#head = undefined;
    this.#tail = undefined;
    this.#ordered = true;
    while (entry !== undefined) {
      const next = entry.next as Entry | undefined;
      entry.previous = undefined;
      entry.next = undefined;
      entry = next;
    }
  }

  /** Expires every entry now, oldest deadline first, and stops the timer (on close). */
  expireAll(): void {
    this.#stop();
    for (;;) {
      const entry = this.#earliest();
      if (entry === undefined) return;
      this.remove(entry);
      this.#onExpire(entry);
    }
  }

  /** Walks back from `after` to the last entry due no later than `entry`, within {@link MAX_WALK}. */
  #insertBefore(entry: Entry, after: Entry): void {
    const deadline = entry.deadline;
    let before: DeadlineEntry | undefined = after.previous;
    for (let steps = 1; before !== undefined && before.deadline > deadline; steps++) {
      if (steps === MAX_WALK) {
        // Too far out of order: append and scan on expiry instead.
        this.#ordered = false;
        entry.previous = this.#tail;
        entry.next = undefined;
        (this.#tail as Entry).next = entry;
        this.#tail = entry;
        return;
      }
      after = before as Entry;
      before = before.previous;
    }
    entry.previous = before;
    entry.next = after;
    after.previous = entry;
    if (before === undefined) this.#head = entry;
    else before.next = entry;
  }

  #earliest(): Entry | undefined {
    if (this.#ordered) return this.#head;
    let earliest = this.#head;
    for (let entry = earliest?.next; entry !== undefined; entry = entry.next) {
      if (entry.deadline < (earliest as Entry).deadline) earliest = entry as Entry;
    }
    return earliest;
  }

  #arm(deadline: number, now: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = deadline;
    this.#timer = setTimeout(this.#onTimer, Math.max(1, Math.ceil(deadline - now)));
    this.#timer.unref();
  }

  #stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
  }

  #onTimer = (): void => {
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    // Timers may fire a fraction of a millisecond before the deadline.
    const now = performance.now();
    const due = now + 1;
    let next: number;
    if (this.#ordered) {
      let entry = this.#head;
      while (entry !== undefined && entry.deadline <= due) {
        this.remove(entry);
        this.#onExpire(entry);
        entry = this.#head;
      }
      // An onExpire callback may have queued an entry out of order.
      if (this.#ordered) next = entry === undefined ? Number.POSITIVE_INFINITY : entry.deadline;
      else next = this.#sweepUnordered(due);
    } else {
      next = this.#sweepUnordered(due);
    }
    if (next < this.#armedFor) this.#arm(next, now);
  };

  /** Expires what is due in a list out of order, notes whether the rest is in order; the next deadline. */
  #sweepUnordered(due: number): number {
    // Entries added by onExpire go to the tail: they are seen and their deadlines counted.
    let next = Number.POSITIVE_INFINITY;
    let ordered = true;
    let last = Number.NEGATIVE_INFINITY;
    let entry = this.#head;
    while (entry !== undefined) {
      const following = entry.next as Entry | undefined;
      if (entry.deadline <= due) {
        this.remove(entry);
        this.#onExpire(entry);
        if (
          following !== undefined &&
          following.previous === undefined &&
          this.#head !== following
        ) {
          // onExpire took the next entry out too: start again from the head.
          next = Number.POSITIVE_INFINITY;
          ordered = true;
          last = Number.NEGATIVE_INFINITY;
          entry = this.#head;
          continue;
        }
      } else {
        if (entry.deadline < last) ordered = false;
        last = entry.deadline;
        if (entry.deadline < next) next = entry.deadline;
      }
      entry = following;
    }
    if (ordered) this.#ordered = true;
    return next;
  }
}
