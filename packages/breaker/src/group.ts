import { assertPositiveInteger, EventSource } from "@mcp-prod/internal";
import { BreakerCore } from "./breaker.ts";
import type { BreakerCall } from "./call.ts";
import { type BreakerOptions, CREATE_GROUP_KEYS, isAbortableAction } from "./options.ts";
import type { Breaker } from "./types.ts";

/** Options of {@link createBreakerGroup}: every breaker of the group gets the breaker options. */
export type BreakerGroupOptions = BreakerOptions & {
  /**
   * Breakers kept at most; the least recently used one is closed and
   * dropped when a new key would exceed it.
   * @default 1000
   */
  readonly maxBreakers?: number;
};

/** The events of a breaker group. */
export type BreakerGroupEvents<Args extends unknown[], Result> = {
  /** A breaker was created for a key: the place to attach listeners to it. */
  create: (entry: { readonly key: string; readonly breaker: Breaker<Args, Result> }) => void;
  /** A breaker was evicted (least recently used) or deleted, and closed. */
  evict: (entry: { readonly key: string; readonly breaker: Breaker<Args, Result> }) => void;
};

/** One breaker per key (upstream host, tenant, tool), bounded in number. */
export type BreakerGroup<Args extends unknown[], Result> = {
  /** The group's name, which every breaker in it also carries (keys never become metric labels). */
  readonly name: string;
  /** The breaker for `key`, created on first use. */
  for(key: string): Breaker<Args, Result>;
  /** `group.for(key).fire(...args)`. */
  fire(key: string, ...args: Args): Promise<Result>;
  has(key: string): boolean;
  /** Closes and drops the breaker for `key`; true if there was one. */
  delete(key: string): boolean;
  readonly size: number;
  keys(): IterableIterator<string>;
  on<Name extends keyof BreakerGroupEvents<Args, Result>>(
    name: Name,
    listener: BreakerGroupEvents<Args, Result>[Name],
  ): () => void;
  /** Closes (disposes of) every breaker of the group and drops its listeners. */
  close(): void;
  /** @deprecated Use `close()`. */
  shutdown(): void;
};

class Group<Args extends unknown[], Result>
  extends EventSource<BreakerGroupEvents<Args, Result>>
  implements BreakerGroup<Args, Result>
{
  readonly name: string;
  readonly #breakers = new Map<string, BreakerCore<Args, Result>>();
  readonly #create: () => BreakerCore<Args, Result>;
  readonly #maxBreakers: number;

  constructor(create: () => BreakerCore<Args, Result>, name: string, maxBreakers: number) {
    super();
    this.#create = create;
    this.name = name;
    this.#maxBreakers = maxBreakers;
  }

  get size(): number {
    return this.#breakers.size;
  }

  for(key: string): Breaker<Args, Result> {
    const breakers = this.#breakers;
    let breaker = breakers.get(key);
    if (breaker) {
      // Re-inserting keeps the Map in least-recently-used order.
      breakers.delete(key);
      breakers.set(key, breaker);
      return breaker;
    }
    if (breakers.size >= this.#maxBreakers) {
      const oldest = breakers.keys().next().value as string;
      this.delete(oldest);
    }
    breaker = this.#create();
    breakers.set(key, breaker);
    this.emit("create", { key, breaker });
    return breaker;
  }

  fire(key: string, ...args: Args): Promise<Result> {
    return this.for(key).fire(...args);
  }

  has(key: string): boolean {
    return this.#breakers.has(key);
  }

  delete(key: string): boolean {
    const breaker = this.#breakers.get(key);
    if (!breaker) return false;
    this.#breakers.delete(key);
    breaker.close();
    this.emit("evict", { key, breaker });
    return true;
  }

  keys(): IterableIterator<string> {
    return this.#breakers.keys();
  }

  close(): void {
    for (const breaker of this.#breakers.values()) breaker.close();
    this.#breakers.clear();
    this.removeAllListeners();
  }

  shutdown(): void {
    this.close();
  }
}

/**
 * Keyed breakers: one breaker per upstream host, tenant or tool, so one bad
 * upstream does not open the circuit for the others. At most `maxBreakers`
 * are kept; the least recently used is closed when a new key arrives.
 *
 * @example
 * ```ts
 * import { createBreakerGroup } from "@mcp-prod/breaker";
 *
 * const perHost = createBreakerGroup(
 *   async ({ signal }, url: string) => (await fetch(url, { signal })).text(),
 *   { name: "upstream", abortable: true, timeout: 5000, maxBreakers: 200 },
 * );
 * const page = await perHost.for(new URL(target).host).fire(target);
 * ```
 */
export function createBreakerGroup<Args extends unknown[], Return>(
  action: (call: BreakerCall, ...args: Args) => Return,
  options: BreakerGroupOptions & { readonly abortable: true },
): BreakerGroup<Args, Awaited<Return>>;
export function createBreakerGroup<Args extends unknown[], Return>(
  action: (...args: Args) => Return,
  options?: BreakerGroupOptions & { readonly abortable?: false },
): BreakerGroup<Args, Awaited<Return>>;
export function createBreakerGroup(
  action: (...args: never[]) => unknown,
  options?: BreakerGroupOptions & { readonly abortable?: boolean },
): BreakerGroup<unknown[], unknown> {
  const abortable = isAbortableAction(action, options);
  const { maxBreakers = 1000, abortable: _abortable, ...breakerOptions } = options ?? {};
  assertPositiveInteger(maxBreakers, "maxBreakers");
  // Built once now, so invalid options fail here rather than on the first key.
  const first = new BreakerCore<unknown[], unknown>(
    action,
    breakerOptions,
    abortable,
    "createBreakerGroup()",
    CREATE_GROUP_KEYS,
  );
  first.close();
  return new Group(
    () => new BreakerCore(action, breakerOptions, abortable),
    first.name,
    maxBreakers,
  );
}
