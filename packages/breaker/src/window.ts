import type { EventEmitter } from "node:events";
import { LatencyHistogram } from "./histogram.ts";
import { rotationClock } from "./rotation.ts";

/** The calls of one bucket of the rolling window; the breaker counts into the current one. */
export type WindowBucket = {
  successes: number;
  failures: number;
  /** Successful calls that took at least `slowCallMs`. */
  slowCalls: number;
};

/** The sums over every bucket of the rolling window. */
export type WindowTotals = {
  /** Completed calls: successes and failures. */
  readonly calls: number;
  readonly failures: number;
  readonly slowCalls: number;
};

/**
 * The rolling window a breaker decides by: `rollingCountBuckets` buckets of
 * `rollingCountTimeout / rollingCountBuckets` ms each, the oldest emptied and
 * reused on every tick of the shared rotation clock. Latencies go to a
 * histogram swapped once per full window, so `latency()` covers the last one
 * to two windows.
 */
export class RollingWindow {
  /** The bucket calls are counted into now. */
  bucket: WindowBucket;
  readonly #buckets: WindowBucket[];
  readonly #clock: EventEmitter;
  #index = 0;
  #rotations = 0;
  #latency = new LatencyHistogram();
  #previousLatency = new LatencyHistogram();
  #closed = false;

  constructor(windowMs: number, bucketCount: number) {
    this.#buckets = Array.from({ length: bucketCount }, emptyBucket);
    this.bucket = this.#buckets[0] as WindowBucket;
    this.#clock = rotationClock(Math.floor(windowMs / bucketCount));
    this.#clock.on("rotate", this.#onRotate);
  }

  recordLatency(latencyMs: number): void {
    this.#latency.record(latencyMs);
  }

  /** Mean and p99 latency in ms over the last one to two windows. */
  latency(): { mean: number; p99: number } {
    return this.#latency.summary(this.#previousLatency);
  }

  totals(): WindowTotals {
    let calls = 0;
    let failures = 0;
    let slowCalls = 0;
    for (const bucket of this.#buckets) {
      calls += bucket.successes + bucket.failures;
      failures += bucket.failures;
      slowCalls += bucket.slowCalls;
    }
    return { calls, failures, slowCalls };
  }

  /** Empties every bucket (latencies are kept: they describe the upstream, not the verdict). */
  reset(): void {
    for (const bucket of this.#buckets) clear(bucket);
  }

  /** Stops listening to the shared clock, which stops once no window listens. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clock.off("rotate", this.#onRotate);
  }

  #onRotate = (): void => {
    const buckets = this.#buckets;
    this.#index = (this.#index + 1) % buckets.length;
    const next = buckets[this.#index] as WindowBucket;
    clear(next);
    this.bucket = next;
    if (++this.#rotations % buckets.length === 0) {
      const previous = this.#previousLatency;
      previous.reset();
      this.#previousLatency = this.#latency;
      this.#latency = previous;
    }
  };
}

function emptyBucket(): WindowBucket {
  return { successes: 0, failures: 0, slowCalls: 0 };
}

function clear(bucket: WindowBucket): void {
  bucket.successes = 0;
  bucket.failures = 0;
  bucket.slowCalls = 0;
}
