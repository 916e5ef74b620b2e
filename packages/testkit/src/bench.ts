import { Bench } from "tinybench";

/** What a contender's `start()` returns: the call to measure, or the call and how to stop the instance. */
export type ContenderInstance =
  | (() => Promise<unknown>)
  | { readonly call: () => Promise<unknown>; readonly stop?: () => void };

/**
 * One contender of an interleaved benchmark: `start()` builds a fresh
 * instance before each sample; its `stop()`, if any, runs after the sample,
 * so no contender's background timers run during another's sample.
 */
export type Contender = { readonly name: string; readonly start: () => ContenderInstance };

export type InterleavedOptions = {
  readonly rounds: number;
  readonly sampleMs: number;
  /** Calls per measured task; the result is divided by it. */
  readonly batch: number;
  /** Makes `batch` calls; by default one after another, each awaited. */
  readonly run?: (call: () => Promise<unknown>, batch: number) => Promise<void>;
  /**
   * `mean` (the default) counts every task of the sample, background work
   * included: the sustained cost. `p50` is the typical task.
   * @default "mean"
   */
  readonly statistic?: "mean" | "p50";
  /**
   * Whether the first round warms up before it measures.
   * @default true
   */
  readonly warmup?: boolean;
};

/**
 * Each contender's median µs per call over the rounds, and `ratio(name,
 * base)`: the median of the per-round ratios, so that a change in the
 * machine's load between rounds cancels out.
 */
export type Medians = ((name: string) => number) & {
  ratio(name: string, base: string): number;
};

async function sequential(call: () => Promise<unknown>, batch: number): Promise<void> {
  for (let count = 0; count < batch; count++) await call();
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The median of `values` (the upper one of an even count), `NaN` for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** The median of `values[i] / base[i]`: samples taken in the same round are compared with each other. */
export function pairedRatio(values: readonly number[], base: readonly number[]): number {
  return median(values.map((value, round) => value / (base[round] ?? Number.NaN)));
}

/**
 * Runs every contender for `sampleMs` per round, `batch` calls then a
 * `setImmediate` per task (so background timers fire inside the sample), the
 * order rotating each round, and returns each one's median µs per call.
 */
export async function interleaved(
  contenders: readonly Contender[],
  options: InterleavedOptions,
): Promise<Medians> {
  const { rounds, sampleMs, batch, run = sequential, statistic = "mean" } = options;
  const warmup = options.warmup ?? true;
  const samples = new Map<string, number[]>(contenders.map(({ name }) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({ time: sampleMs, warmup: warmup && round === 0 });
    for (let index = 0; index < contenders.length; index++) {
      const { name, start } = contenders[(index + round) % contenders.length] as Contender;
      let call: () => Promise<unknown> = () => Promise.resolve();
      let stop: (() => void) | undefined;
      bench.add(
        name,
        async () => {
          await run(call, batch);
          await nextTurn();
        },
        {
          beforeAll: () => {
            const instance = start();
            call = typeof instance === "function" ? instance : instance.call;
            stop = typeof instance === "function" ? undefined : instance.stop;
          },
          afterAll: () => stop?.(),
        },
      );
    }
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result as
        | { error?: unknown; latency?: { mean: number; p50?: number } }
        | undefined;
      if (result?.error) throw result.error;
      const ms = statistic === "p50" ? result?.latency?.p50 : result?.latency?.mean;
      if (ms !== undefined) samples.get(task.name)?.push((ms * 1000) / batch);
    }
  }
  const micros = new Map([...samples].map(([name, values]) => [name, median(values)]));
  const at = (name: string) => micros.get(name) ?? Number.NaN;
  return Object.assign(at, {
    ratio: (name: string, base: string) =>
      pairedRatio(samples.get(name) ?? [], samples.get(base) ?? []),
  });
}

/** Prints the medians with calls/s, the µs added over `base` and each one's ratio to `ours`. */
export function printTable(
  title: string,
  contenders: readonly Contender[],
  at: Medians,
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
      "ours is × faster": at.ratio(name, ours).toFixed(2),
    })),
  );
}
