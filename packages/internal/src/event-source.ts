import { warnCallbackFailure } from "./warnings.ts";

// biome-ignore lint/suspicious/noExplicitAny: listener parameter lists are checked per event by EventMap
export type EventMap = Record<string, (...args: any[]) => void>;
export type Listener<Events extends EventMap, Name extends keyof Events> = Events[Name];

/**
 * The one event pattern of every mcp-prod package, as a base class: a
 * breaker, cache or pool `extends EventSource<ItsEvents>` and gets public
 * `on(name, listener)` (returning the function that removes it), `once` and
 * `off`, while `emit` stays its own. A listener that throws never breaks the
 * source or its caller (it becomes a process warning), and unlike Node's
 * EventEmitter an `error` event with no listener does not throw.
 */
export class EventSource<Events extends EventMap> {
  #listeners = new Map<keyof Events, Set<Events[keyof Events]>>();

  /** Adds a listener; returns the function that removes it. */
  on<Name extends keyof Events>(name: Name, listener: Events[Name]): () => void {
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener);
    return () => this.off(name, listener);
  }

  /** Like `on`, for the next event only; returns the function that removes the listener. */
  once<Name extends keyof Events>(name: Name, listener: Events[Name]): () => void {
    const wrapped = ((...args: Parameters<Events[Name]>) => {
      off();
      listener(...args);
    }) as Events[Name];
    const off = this.on(name, wrapped);
    return off;
  }

  /** Removes a listener added with `on`. */
  off<Name extends keyof Events>(name: Name, listener: Events[Name]): void {
    const set = this.#listeners.get(name);
    if (!set) return;
    set.delete(listener);
    if (set.size === 0) this.#listeners.delete(name);
  }

  /** True when something listens: lets hot paths skip building event payloads. */
  protected hasListeners(name: keyof Events): boolean {
    return this.#listeners.has(name);
  }

  protected listenerCount(name?: keyof Events): number {
    if (name !== undefined) return this.#listeners.get(name)?.size ?? 0;
    let count = 0;
    for (const set of this.#listeners.values()) count += set.size;
    return count;
  }

  protected emit<Name extends keyof Events>(name: Name, ...args: Parameters<Events[Name]>): void {
    const set = this.#listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (error) {
        // A broken listener must not break the call that emitted the event, nor
        // crash the process; it is surfaced as a process warning instead.
        warnCallbackFailure(error, "McpProdListenerWarning");
      }
    }
  }

  protected removeAllListeners(): void {
    this.#listeners.clear();
  }
}

/**
 * An {@link EventSource} anyone may emit on: a stand-alone event hub, or a
 * test double of a breaker or pool for code that observes one.
 */
export class Emitter<Events extends EventMap> extends EventSource<Events> {
  override hasListeners(name: keyof Events): boolean {
    return super.hasListeners(name);
  }

  override listenerCount(name?: keyof Events): number {
    return super.listenerCount(name);
  }

  override emit<Name extends keyof Events>(name: Name, ...args: Parameters<Events[Name]>): void {
    super.emit(name, ...args);
  }

  override removeAllListeners(): void {
    super.removeAllListeners();
  }
}
