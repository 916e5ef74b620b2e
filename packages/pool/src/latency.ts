/** The most recent acquire latencies, in a fixed ring, for percentiles on demand. */
export class LatencyWindow {
  readonly #samples: Float64Array;
  #next = 0;
  #count = 0;

  constructor(size = 1024) {
    this.#samples = new Float64Array(size);
  }

  record(ms: number): void {
    this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#samples.length;
    if (this.#count < this.#samples.length) this.#count += 1;
  }

  /** The `fraction` percentile (0.5, 0.99) of the recorded samples, 0 when there are none. */
  percentiles(...fractions: number[]): number[] {
    if (this.#count === 0) return fractions.map(() => 0);
    const sorted = this.#samples.slice(0, this.#count).sort();
    return fractions.map((fraction) => {
      const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
      return Math.round((sorted[Math.max(0, index)] ?? 0) * 1000) / 1000;
    });
  }
}
