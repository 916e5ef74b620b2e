import { EventEmitter } from "node:events";

/**
 * One bucket-rotation timer per bucket length, shared by the rolling windows
 * of every breaker of the process, rather than a `setInterval` per breaker.
 * The interval runs only while some window listens, is `unref()`'d, and stops
 * when the last breaker is closed.
 */
class RotationClock extends EventEmitter {
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #intervalMs: number;

  constructor(intervalMs: number) {
    super();
    this.#intervalMs = intervalMs;
    this.setMaxListeners(0);
    this.on("newListener", (name: string | symbol) => {
      if (name === "rotate" && this.#timer === undefined) {
        this.#timer = setInterval(() => this.emit("rotate"), this.#intervalMs);
        this.#timer.unref();
      }
    });
    this.on("removeListener", (name: string | symbol) => {
      if (name === "rotate" && this.listenerCount("rotate") === 0) this.#stop();
    });
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    clocks.delete(this.#intervalMs);
  }
}

const clocks = new Map<number, RotationClock>();

/** The shared rotation clock for buckets of `intervalMs`. */
export function rotationClock(intervalMs: number): EventEmitter {
  let clock = clocks.get(intervalMs);
  if (!clock) {
    clock = new RotationClock(intervalMs);
    clocks.set(intervalMs, clock);
  }
  return clock;
}

/** How many shared rotation timers are running (0 once every breaker is closed). */
export function activeRotationClocks(): number {
  return clocks.size;
}
