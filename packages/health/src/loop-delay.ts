/**
 * The longest event-loop stall since the last read, from how late a 20 ms
 * interval fires. (perf_hooks' histogram drops the first sample after a
 * reset, which is exactly the stall a liveness probe needs to see.)
 */
export class LoopDelayMonitor {
  static readonly intervalMs = 20;
  #expected = performance.now() + LoopDelayMonitor.intervalMs;
  #maxMs = 0;
  readonly #timer = setInterval(() => {
    const now = performance.now();
    this.#maxMs = Math.max(this.#maxMs, now - this.#expected);
    this.#expected = now + LoopDelayMonitor.intervalMs;
  }, LoopDelayMonitor.intervalMs).unref();

  /** The longest stall in ms since the previous call, counting one still in progress. */
  takeMax(): number {
    const current = Math.max(this.#maxMs, performance.now() - this.#expected);
    this.#maxMs = 0;
    return Math.round(Math.max(0, current) * 10) / 10;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
