import { EventSource } from "./event-source.ts";
import { describeValue } from "./options.ts";
import { warnOnce } from "./warnings.ts";

/**
 * The objects with state (a breaker, a bulkhead, a rate limiter) that policies
 * configured inline stand for, one per name in the process, like
 * resilience4j's `CircuitBreakerRegistry`. `compose("forecast", handler,
 * withBreaker({ consecutiveFailures: 5 }))` written in a server factory that
 * runs per request finds the breaker it made on the first request, so the
 * circuit opens whatever builds the `McpServer`. What the registry holds can
 * be read by name, observed as it grows (metrics, health checks), and
 * disposed of.
 */
export type PolicyRegistry<T> = {
  /** The instance for `name`, if a policy has made it. */
  get(name: string): T | undefined;
  has(name: string): boolean;
  /** How many instances it holds. */
  readonly size: number;
  /** Their names, in the order they were made. */
  names(): string[];
  values(): IterableIterator<T>;
  [Symbol.iterator](): IterableIterator<T>;
  /**
   * Adds a listener for each instance made from now on (`{ name, value }`);
   * returns the function that removes it.
   */
  on(
    event: "add",
    listener: (entry: { readonly name: string; readonly value: T }) => void,
  ): () => void;
  /** Closes the instance for `name` and forgets it; a policy asking for it again makes a new one. */
  delete(name: string): boolean;
  /** Closes and forgets every instance (between tests, or at shutdown). */
  clear(): void;
};

type Entry<T> = { readonly value: T; readonly options: Readonly<Record<string, unknown>> };
type RegistryEvents<T> = {
  add: (entry: { readonly name: string; readonly value: T }) => void;
};

/** What a package holds of its registry: the public face, and the ways in and out. */
export type PolicyRegistryOwner<T> = {
  readonly registry: PolicyRegistry<T>;
  /**
   * The instance for `name`: the one made before, or a new one from `create`.
   * `options` are what it was configured with: values that are data must be
   * equal to the first's (else a `TypeError` names the first that differs);
   * functions are taken from the first, as a factory that runs per request
   * passes a new closure each time. `what` names the caller in errors
   * (`compose("forecast")`).
   */
  obtain(name: string, options: object, create: () => T, what: string): T;
  /** Forgets `name` if it still holds `value`: the instance was closed by its user. */
  forget(name: string, value: T): void;
};

/**
 * Makes a package's registry of `kind` ("breaker"), whose `delete` and
 * `clear` dispose of an instance with `close`.
 *
 * @example
 * ```ts
 * const { registry, obtain, forget } = createPolicyRegistry<SharedBreaker>("breaker", (b) => b.close());
 * export const breakerRegistry = registry;
 * // in withBreaker's policy form:
 * const breaker = obtain(name, options, () => createBreaker({ ...options, name }), `compose("${name}")`);
 * ```
 */
export function createPolicyRegistry<T>(
  kind: string,
  close: (value: T) => unknown,
): PolicyRegistryOwner<T> {
  const entries = new Map<string, Entry<T>>();
  const events = new (class extends EventSource<RegistryEvents<T>> {
    fire(name: string, value: T) {
      this.emit("add", { name, value });
    }
  })();
  const values = () => [...entries.values()].map((entry) => entry.value)[Symbol.iterator]();
  const remove = (name: string): boolean => {
    const entry = entries.get(name);
    if (entry === undefined) return false;
    entries.delete(name);
    close(entry.value);
    return true;
  };
  const registry: PolicyRegistry<T> = {
    get: (name) => entries.get(name)?.value,
    has: (name) => entries.has(name),
    get size() {
      return entries.size;
    },
    names: () => [...entries.keys()],
    values,
    [Symbol.iterator]: values,
    on: (event, listener) => events.on(event, listener),
    delete: remove,
    clear: () => {
      for (const name of [...entries.keys()]) remove(name);
    },
  };
  return {
    registry,
    obtain(name, options, create, what) {
      const data = dataOf(options);
      const entry = entries.get(name);
      if (entry !== undefined) {
        const difference = firstDifference(entry.options, data);
        if (difference !== undefined)
          throw new TypeError(
            `${what} asks for the ${kind} "${name}" with \`${difference.key}\` ${describeValue(difference.now)}, but it was made with ${describeValue(difference.before)}: one name is one ${kind} in the process. Give this one its own \`name\`, or the same options.`,
          );
        return entry.value;
      }
      const value = create();
      entries.set(name, { value, options: data });
      events.fire(name, value);
      return value;
    },
    forget(name, value) {
      if (entries.get(name)?.value === value) entries.delete(name);
    },
  };
}

/** The options that are data: functions are left out (a factory makes new closures each time). */
function dataOf(options: object): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (typeof value !== "function" && value !== undefined) data[key] = value;
  }
  return data;
}

function firstDifference(
  before: Readonly<Record<string, unknown>>,
  now: Readonly<Record<string, unknown>>,
): { key: string; before: unknown; now: unknown } | undefined {
  for (const key of new Set([...Object.keys(before), ...Object.keys(now)])) {
    if (!sameData(before[key], now[key])) return { key, before: before[key], now: now[key] };
  }
  return undefined;
}

function sameData(left: unknown, right: unknown): boolean {
  if (Object.is(left, right)) return true;
  if (typeof left !== "object" || typeof right !== "object" || left === null || right === null)
    return false;
  // An instance (a Redis client, a shared cache) is the same only if it is the same object.
  if (Object.getPrototypeOf(left) !== Object.prototype && !Array.isArray(left)) return false;
  if (Array.isArray(left) !== Array.isArray(right)) return false;
  const leftKeys = Object.keys(left);
  if (leftKeys.length !== Object.keys(right).length) return false;
  return leftKeys.every((key) =>
    sameData((left as Record<string, unknown>)[key], (right as Record<string, unknown>)[key]),
  );
}

const buildSites = new Map<string, string>();

/**
 * Warns once per `code` when the same line (`site`, from `callSite()`) makes a
 * second stateful object of a kind no registry holds (no name to find it by):
 * a server factory that runs per request rebuilds it every time, so it never
 * trips, limits or remembers anything.
 *
 * @example
 * ```ts
 * warnIfRebuilt("MCP_PROD_INLINE_BREAKER", site, `withBreaker() at ${site} made a second breaker …`);
 * ```
 */
export function warnIfRebuilt(code: string, site: string | undefined, message: string): void {
  if (site === undefined) return;
  const key = `${code} ${site}`;
  if (buildSites.has(key)) warnOnce(code, message);
  else buildSites.set(key, site);
}
