import { Bench } from "tinybench";

/** One contender of an interleaved benchmark: `start()` builds it and returns the call to measure. */
export type Contender = { readonly name: string; readonly start: () => () => Promise<unknown> };

export type InterleavedOptions = {
  readonly rounds: number;
  readonly sampleMs: number;
  /** Calls per measured task; the result is divided by it. */
  readonly batch: number;
  /** Makes `batch` calls; by default one after another, each awaited. */
  readonly run?: (call: () => Promise<unknown>, batch: number) => Promise<void>;
};

async function sequential(call: () => Promise<unknown>, batch: number): Promise<void> {
  for (let count = 0; count < batch; count++) await call();
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/**
 * Runs every contender for `sampleMs` per round, `batch` calls then a
 * `setImmediate` per task (so background timers fire inside the sample), the
 * order rotating each round, and returns each one's median µs per call.
 */
export async function interleaved(
  contenders: readonly Contender[],
  options: InterleavedOptions,
): Promise<(name: string) => number> {
  const { rounds, sampleMs, batch, run = sequential } = options;
  const samples = new Map<string, number[]>(contenders.map(({ name }) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({ time: sampleMs, warmup: round === 0 });
    for (let index = 0; index < contenders.length; index++) {
      const { name, start } = contenders[(index + round) % contenders.length] as Contender;
      const call = start();
      bench.add(name, async () => {
        await run(call, batch);
        await nextTurn();
      });
    }
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result as { error?: unknown; latency?: { mean: number } } | undefined;
      if (result?.error) throw result.error;
      if (result?.latency) samples.get(task.name)?.push((result.latency.mean * 1000) / batch);
    }
  }
  const micros = new Map([...samples].map(([name, values]) => [name, median(values)]));
  return (name) => micros.get(name) ?? Number.NaN;
}

/** Prints the medians with calls/s, the µs added over `base` and each one's ratio to `ours`. */
export function printTable(
  title: string,
  contenders: readonly Contender[],
  at: (name: string) => number,
  base: string,
  ours: string,
): void {
  console.log(`\n${title}, Node ${process.version}\n`);
  console.table(
    contenders.map(({ name }) => ({
      contender: name,
      "median µs/call": at(name).toFixed(3),
      "calls/s": Math.round(1e6 / at(name)).toLocaleString("en-US"),
      [`+µs vs ${base}`]: (at(name) - at(base)).toFixed(3),
      "ours is × faster": (at(name) / at(ours)).toFixed(2),
    })),
  );
}
