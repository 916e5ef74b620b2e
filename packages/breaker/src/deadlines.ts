/** An entry of a {@link DeadlineQueue}: settled entries are skipped, never searched for. */
export type DeadlineEntry = { deadline: number; settled: boolean };

/**
 * Per-call deadlines on one timer. Every entry of a queue has the same
 * timeout, so deadlines arrive in order and a FIFO is a priority queue: one
 * `setTimeout` waits for the oldest pending entry instead of one timer per
 * call. Settled entries are dropped from the front as new ones arrive, so the
 * queue only holds calls younger than the oldest one still pending.
 */
export class DeadlineQueue<Entry extends DeadlineEntry> {
  #entries: Entry[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #timeoutMs: number;
  readonly #expire: (entry: Entry) => void;

  constructor(timeoutMs: number, expire: (entry: Entry) => void) {
    this.#timeoutMs = timeoutMs;
    this.#expire = expire;
  }

  /** Schedules `entry` to expire `timeoutMs` after `now`. */
  add(entry: Entry, now: number): void {
    entry.deadline = now + this.#timeoutMs;
    this.#dropSettled();
    this.#entries.push(entry);
    if (this.#timer === undefined) this.#arm(this.#timeoutMs);
  }

  /** Stops the timer; pending entries no longer expire. */
  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#entries = [];
    this.#head = 0;
  }

  #arm(delayMs: number): void {
    // A deadline never holds the process open: the call's own I/O does.
    this.#timer = setTimeout(this.#onTimer, Math.max(1, Math.ceil(delayMs)));
    this.#timer.unref();
  }

  #onTimer = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    const entries = this.#entries;
    while (this.#head < entries.length) {
      const entry = entries[this.#head] as Entry;
      if (entry.settled) {
        this.#head++;
        continue;
      }
      // Timers may fire a fraction of a millisecond before the deadline.
      if (entry.deadline > now + 1) {
        this.#compact();
        this.#arm(entry.deadline - now);
        return;
      }
      this.#head++;
      this.#expire(entry);
    }
    this.#compact();
  };

  #dropSettled(): void {
    const entries = this.#entries;
    while (this.#head < entries.length && (entries[this.#head] as Entry).settled) this.#head++;
    this.#compact();
  }

  #compact(): void {
    if (this.#head === 0) return;
    if (this.#head === this.#entries.length) {
      this.#entries.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
